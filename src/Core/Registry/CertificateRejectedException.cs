namespace Cluster.Core.Registry;

// Thrown by the client's certificate check so that a rejected certificate reaches the caller as
// itself (with a readable reason) rather than as SslStream's generic handshake failure, which
// cannot be told apart from "the port does not speak TLS". Decides whether plain HTTP may be
// tried: never after a rejected certificate, because the server then clearly speaks TLS.
internal sealed class CertificateRejectedException : Exception
{
    public CertificateRejectedException(string reason)
        : base(reason)
    {
    }
}
