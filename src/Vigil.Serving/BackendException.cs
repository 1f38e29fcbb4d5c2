namespace Vigil.Serving;

/// <summary>
/// A model backend could not answer a prediction: a remote that refuses the connection, does not answer within its timeout,
/// answers with an error status or an unreadable body, or an in-process runtime that fails. The message says which model
/// and what happened.
/// </summary>
public sealed class BackendException : Exception
{
    public BackendException()
    {
    }

    public BackendException(string message)
        : base(message)
    {
    }

    public BackendException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
