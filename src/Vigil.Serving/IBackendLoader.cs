using Vigil.Registry;

namespace Vigil.Serving;

/// <summary>Loads and verifies the backend of a model version.</summary>
public interface IBackendLoader
{
    /// <summary>
    /// Loads the backend of <paramref name="version"/> and checks it against <paramref name="service"/>'s schema. A file that
    /// does not load, model inputs that do not match the schema (<see cref="FailureKind.Invalid"/>) or a remote that does not
    /// answer (<see cref="FailureKind.Unavailable"/>) are returned as a <see cref="Failure"/> with a message a person can act
    /// on; they are never thrown.
    /// </summary>
    Task<Result<IModelBackend>> LoadAsync(ServiceDefinition service, ModelVersion version, CancellationToken cancellationToken);
}
