using Cluster.Core.Registry;

namespace Cluster.Core.Docker;

// A Docker engine operation that failed, classified. The message names the operation, the
// engine and the image, and carries the engine's own error text, which never contains a secret
// (engines echo registry errors, not credentials).
public sealed class DockerOperationException : Exception
{
    public DockerOperationException(string operation, string target, RegistryFailureKind kind, string detail, Exception? inner = null)
        : base($"{operation} {target} failed: {detail}", inner)
    {
        Operation = operation;
        Target = target;
        Kind = kind;
        Detail = detail;
    }

    public DockerOperationException()
        : this("docker operation", "", RegistryFailureKind.Other, "failed")
    {
    }

    public DockerOperationException(string message)
        : this("docker operation", "", RegistryFailureKind.Other, message)
    {
    }

    public DockerOperationException(string message, Exception innerException)
        : this("docker operation", "", RegistryFailureKind.Other, message, innerException)
    {
    }

    // "build", "push", "pull", "login", ...
    public string Operation { get; }

    // The image or registry the operation was about.
    public string Target { get; }

    public RegistryFailureKind Kind { get; }

    // The engine's error text.
    public string Detail { get; }
}
