namespace Vigil.Storage;

/// <summary>
/// The store cannot be used: the spec is malformed, the database is unreachable, is not a Vigil store,
/// or was written by a newer Vigil. The message says what is wrong and what to do, and never holds a password.
/// </summary>
public sealed class StoreException : Exception
{
    public StoreException()
    {
    }

    public StoreException(string message)
        : base(message)
    {
    }

    public StoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
