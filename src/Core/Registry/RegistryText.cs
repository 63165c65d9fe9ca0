using System.Globalization;

namespace Cluster.Core.Registry;

// How the registry client names places and times in its messages, and the URI facts its
// security rules rest on (same origin, loopback). Pure functions.
internal static class RegistryText
{
    // host:port, always with the port, so messages name exactly where the client went.
    public static string Authority(Uri uri) => uri.HostNameType == UriHostNameType.IPv6
        ? $"[{uri.IdnHost.Trim('[', ']')}]:{uri.Port}"
        : $"{uri.IdnHost}:{uri.Port}";

    // Authorization may only travel between URIs of one origin (scheme, host and port).
    public static bool SameOrigin(Uri a, Uri b) =>
        string.Equals(a.Scheme, b.Scheme, StringComparison.OrdinalIgnoreCase) &&
        string.Equals(a.IdnHost, b.IdnHost, StringComparison.OrdinalIgnoreCase) &&
        a.Port == b.Port;

    public static bool IsLoopback(Uri uri) =>
        uri.IsLoopback || string.Equals(uri.IdnHost, "localhost", StringComparison.OrdinalIgnoreCase);

    public static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";

    // At most 100 characters of text a server sent, control characters replaced.
    public static string Printable(string text) =>
        new string(text.Take(100).Select(c => char.IsControl(c) ? '?' : c).ToArray());

    public static T? Find<T>(Exception e)
        where T : Exception
    {
        for (Exception? x = e; x is not null; x = x.InnerException)
        {
            if (x is T found)
            {
                return found;
            }
        }

        return null;
    }
}
