namespace Cluster.Core.Registry;

// Limits of RegistryClient. ConnectTimeout bounds TCP connect plus TLS handshake, so an address
// where nothing answers fails within it instead of waiting for the kernel's SYN retries (about
// two minutes on Linux). RequestTimeout bounds each single HTTP exchange (headers and body),
// including token requests; one operation makes a few such exchanges at most.
// Both are ignored where a caller passes its own HttpMessageHandler, except RequestTimeout.
public sealed record RegistryClientOptions
{
    public TimeSpan RequestTimeout { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan ConnectTimeout { get; init; } = TimeSpan.FromSeconds(5);

    public string UserAgent { get; init; } = "cluster/1.0";

    internal void Validate()
    {
        if (RequestTimeout <= TimeSpan.Zero || RequestTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(RequestTimeout), RequestTimeout, "RequestTimeout must be between 0 and 1 hour");
        }

        if (ConnectTimeout <= TimeSpan.Zero || ConnectTimeout > TimeSpan.FromHours(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ConnectTimeout), ConnectTimeout, "ConnectTimeout must be between 0 and 1 hour");
        }

        if (string.IsNullOrWhiteSpace(UserAgent) || UserAgent.Any(char.IsControl))
        {
            throw new ArgumentException("UserAgent must be a non-empty single line", nameof(UserAgent));
        }
    }
}
