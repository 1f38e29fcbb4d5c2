#pragma warning disable CA1812, CA1852 // instantiated by no one: they exist to be read as metadata

namespace Vigil.Architecture.Tests.Fixtures.Left
{
    /// <summary>Half of a deliberate namespace cycle that <see cref="LayerTests.NamespaceGraph_FindsACycle_WhereThereIsOne"/> must find.</summary>
    internal sealed class LeftSide
    {
        public Right.RightSide? Other { get; set; }
    }
}

namespace Vigil.Architecture.Tests.Fixtures.Right
{
    /// <summary>The other half: a method body naming the left side.</summary>
    internal sealed class RightSide
    {
        public static object Make() => new Left.LeftSide();
    }
}
