using Mono.Cecil;

namespace Vigil.Architecture.Tests;

/// <summary>
/// Pins the layout docs/architecture.md describes: dependencies point inward, Core depends on nothing of ours and on no
/// web, database, model runtime or CLI package, and no project has a cycle among its namespaces (an area that needs
/// another area's types depends on it, never the other way round as well). Read from the built assemblies.
/// </summary>
public sealed class LayerTests
{
    /// <summary>Assembly-name prefixes Core must not reference: the web stack, databases, model runtimes, the CLI's packages, and Vigil's outer layers.</summary>
    private static readonly string[] ForbiddenInCore =
    [
        "Microsoft.AspNetCore", "Microsoft.Extensions.Hosting", "Microsoft.Data", "Npgsql", "SQLitePCL", "System.Data",
        "Microsoft.ML", "OnnxRuntime", "Microsoft.Extensions.AI", "OpenAI", "Spectre", "System.CommandLine", "YamlDotNet",
        "Parquet", "CsvHelper", "Vigil.",
    ];

    [Fact]
    public void Core_ReferencesNoWebDatabaseModelRuntimeOrCliPackage_AndNothingOfOurs()
    {
        using var core = ModuleDefinition.ReadModule(PathOf("Vigil.Core"));

        var references = core.AssemblyReferences.Select(r => r.Name).ToList();
        var forbidden = references.Where(name => ForbiddenInCore.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal))).ToList();

        Assert.True(forbidden.Count == 0, $"Vigil.Core references {string.Join(", ", forbidden)}; Core is the domain and reaches the world only through its ports");
        Assert.Contains("Cronos", references); // the test reads real references: Core does use this one
    }

    [Theory]
    [InlineData("Vigil.Core")]
    [InlineData("Vigil.Storage")]
    [InlineData("Vigil.Serving")]
    public void Project_HasNoNamespaceCycles(string assembly)
    {
        var graph = NamespaceGraph.Read(PathOf(assembly));

        var cycles = graph.Cycles();

        Assert.True(graph.Edges.Count > 0, $"{assembly}: no namespace dependencies were read; the test would prove nothing");
        Assert.True(cycles.Count == 0, "namespaces that depend on each other:\n" + string.Join("\n", cycles.Select(graph.Describe)));
    }

    [Fact]
    public void Core_KernelDependsOnNoArea()
    {
        var graph = NamespaceGraph.Read(PathOf("Vigil.Core"));

        var used = graph.Edges.TryGetValue("Vigil", out var targets) ? targets : [];

        Assert.True(used.Count == 0, "the kernel (namespace Vigil) uses " + string.Join("; ", used.Select(e => $"{e.Key} ({e.Value})")));
    }

    [Fact]
    public void NamespaceGraph_FindsACycle_WhereThereIsOne()
    {
        // The test of the test: this assembly's own two namespaces below point at each other.
        var graph = NamespaceGraph.Read(typeof(LayerTests).Assembly.Location);

        var cycle = Assert.Single(graph.Cycles());

        Assert.Equal(["Vigil.Architecture.Tests.Fixtures.Left", "Vigil.Architecture.Tests.Fixtures.Right"], cycle);
    }

    private static string PathOf(string assembly) => Path.Combine(AppContext.BaseDirectory, assembly + ".dll");
}
