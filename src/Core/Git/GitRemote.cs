using System.Globalization;
using System.Text.RegularExpressions;

namespace Cluster.Core.Git;

// A Git remote URL reduced to what decides which credential serves it, for every spelling git
// itself accepts:
//   https://host[:port]/path, http://host[:port]/path             -> Http (scheme kept)
//   git://host[:port]/path                                          -> Daemon (never credentials)
//   ssh://[user@]host[:port]/path, git+ssh://..., ssh+git://...     -> Ssh
//   [user@]host:path (scp-like), [user@host:port]:path, [user@][v6]:path -> Ssh
// Host is lower case (ssh and DNS ignore case); Port is explicit (443, 80, 9418, 22 by default).
// For SSH, Path drops a leading "/" and "~/": git@host:org/x, ssh://git@host/org/x and
// ssh://git@host/~/org/x name the same repository on GitHub, GitLab and Gitea, so one
// credential serves them all. Parse throws FormatException saying what is wrong, never echoing a
// password a URL may carry.
public sealed partial record GitRemote(GitTransport Transport, string Scheme, string User, string Host, int Port, string Path)
{
    public const int DefaultSshPort = 22;

    // The name ssh looks host keys up by in known_hosts: "host" on port 22, "[host]:port" otherwise.
    public string HostKeyName => KnownHosts.HostKeyName(Host, Port);

    // "host" or "host:port" (ports other than the scheme's default), for messages.
    public string Authority => Port == DefaultPort(Scheme) ? BracketIfV6(Host) : $"{BracketIfV6(Host)}:{Port.ToString(CultureInfo.InvariantCulture)}";

    public static bool TryParse(string? url, out GitRemote? remote)
    {
        try
        {
            remote = Parse(url);
            return true;
        }
        catch (FormatException)
        {
            remote = null;
            return false;
        }
    }

    public static GitRemote Parse(string? url)
    {
        var text = (url ?? "").Trim();
        if (text.Length == 0)
        {
            throw new FormatException("the Git URL is empty");
        }

        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new FormatException("a Git URL must not contain spaces or control characters");
        }

        if (text.StartsWith('-'))
        {
            throw new FormatException("a Git URL must not start with '-'");
        }

        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        return schemeEnd >= 0 ? ParseUrl(text, text[..schemeEnd].ToLowerInvariant(), text[(schemeEnd + 3)..]) : ParseScpLike(text);
    }

    // True when `prefix` serves this URL: the same transport (and scheme for HTTP), host and
    // port, the prefix's user when it names one, and a path that starts with the prefix's path
    // (a plain string prefix, as for HTTPS credentials: "org/" serves "org/x.git").
    public bool IsUnder(GitRemote prefix)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        return Transport == prefix.Transport &&
            Scheme == prefix.Scheme &&
            Host == prefix.Host &&
            Port == prefix.Port &&
            (prefix.User.Length == 0 || User == prefix.User) &&
            Path.StartsWith(prefix.Path, StringComparison.Ordinal);
    }

    // One canonical spelling: "ssh://user@host:port/path" for SSH (path as matched), the URL
    // without default port for the others.
    public override string ToString() => Transport == GitTransport.Ssh
        ? $"ssh://{(User.Length > 0 ? User + "@" : "")}{BracketIfV6(Host)}:{Port.ToString(CultureInfo.InvariantCulture)}/{Path}"
        : $"{Scheme}://{Authority}{Path}";

    private static GitRemote ParseUrl(string original, string scheme, string rest)
    {
        var transport = scheme switch
        {
            "https" or "http" => GitTransport.Http,
            "git" => GitTransport.Daemon,
            "ssh" or "git+ssh" or "ssh+git" => GitTransport.Ssh,
            _ => throw new FormatException($"'{scheme}://' is not a Git transport served here: use https://, http://, git://, ssh:// or git@host:path"),
        };
        var slash = rest.IndexOf('/', StringComparison.Ordinal);
        var authority = slash < 0 ? rest : rest[..slash];
        var path = slash < 0 ? "/" : rest[slash..];
        var at = authority.LastIndexOf('@');
        var user = at < 0 ? "" : authority[..at];
        var hostPort = at < 0 ? authority : authority[(at + 1)..];
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new FormatException($"{scheme}://: the URL must not hold a password or token (it would be stored and shown); give credentials with `clusterctl git add`");
        }

        if (transport != GitTransport.Ssh && at >= 0)
        {
            throw new FormatException($"{scheme}://: the URL must not hold a user or token (it would be stored and shown); give credentials with `clusterctl git add`");
        }

        var (host, port) = SplitHostPort(hostPort, DefaultPort(scheme));
        if (transport == GitTransport.Ssh)
        {
            CheckUser(user);
            return new GitRemote(GitTransport.Ssh, "ssh", user, host, port, SshPath(path));
        }

        // Percent-encoding and dot segments as every HTTP client resolves them.
        if (!Uri.TryCreate(original, UriKind.Absolute, out var uri))
        {
            throw new FormatException($"'{scheme}://{hostPort}{path}' is not a valid URL");
        }

        return new GitRemote(transport, scheme, "", host, port, uri.AbsolutePath);
    }

    // git's rule (connect.c): no "://", and a ':' before the first '/' makes it scp-like; a
    // bracketed "[...]" before that ':' is the host (IPv6, or "user@host:port" to give a port).
    private static GitRemote ParseScpLike(string text)
    {
        string path;
        var port = DefaultSshPort;
        string user;
        string host;
        if (text.StartsWith('[') || text.Contains("@[", StringComparison.Ordinal))
        {
            var open = text.IndexOf('[', StringComparison.Ordinal);
            var close = text.IndexOf(']', StringComparison.Ordinal);
            if (close < open || close + 1 >= text.Length || text[close + 1] != ':')
            {
                throw new FormatException($"'{text}' is not a Git URL: expected [user@]host:path, [user@host:port]:path or ssh://[user@]host[:port]/path");
            }

            var inside = text[(open + 1)..close];
            var outsideUser = open > 0 ? text[..(open - 1)] : "";
            path = text[(close + 2)..];
            var at = inside.LastIndexOf('@');
            user = outsideUser.Length > 0 ? outsideUser : at < 0 ? "" : inside[..at];
            var hostPart = at < 0 ? inside : inside[(at + 1)..];
            if (IsIPv6(hostPart))
            {
                host = hostPart;
            }
            else
            {
                (host, port) = SplitHostPort(hostPart, DefaultSshPort);
            }
        }
        else
        {
            var colon = text.IndexOf(':', StringComparison.Ordinal);
            var slash = text.IndexOf('/', StringComparison.Ordinal);
            if (colon <= 0 || (slash >= 0 && slash < colon))
            {
                throw new FormatException($"'{text}' is not a remote Git URL: expected https://host/path, ssh://[user@]host[:port]/path or [user@]host:path");
            }

            var authority = text[..colon];
            path = text[(colon + 1)..];
            var at = authority.LastIndexOf('@');
            user = at < 0 ? "" : authority[..at];
            host = at < 0 ? authority : authority[(at + 1)..];
        }

        CheckUser(user);
        return new GitRemote(GitTransport.Ssh, "ssh", user, CheckHost(host.ToLowerInvariant()), port, SshPath(path));
    }

    private static (string Host, int Port) SplitHostPort(string hostPort, int defaultPort)
    {
        string host;
        var portText = "";
        if (hostPort.StartsWith('['))
        {
            var close = hostPort.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new FormatException($"'{hostPort}': unclosed '[' in the host");
            }

            host = hostPort[1..close];
            var after = hostPort[(close + 1)..];
            if (after.Length > 0)
            {
                portText = after.StartsWith(':') ? after[1..] : throw new FormatException($"'{hostPort}' is not host[:port]");
            }

            if (!IsIPv6(host))
            {
                throw new FormatException($"'[{host}]' is not an IPv6 address");
            }
        }
        else
        {
            var colon = hostPort.LastIndexOf(':');
            host = colon < 0 ? hostPort : hostPort[..colon];
            portText = colon < 0 ? "" : hostPort[(colon + 1)..];
            CheckHost(host.ToLowerInvariant());
        }

        var port = defaultPort;
        if (portText.Length > 0 && (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out port) || port is < 1 or > 65535))
        {
            throw new FormatException($"'{portText}' is not a port (1-65535)");
        }

        return (host.ToLowerInvariant(), port);
    }

    private static string CheckHost(string host)
    {
        if (IsIPv6(host))
        {
            return host;
        }

        return HostPattern().IsMatch(host) ? host : throw new FormatException($"'{host}' is not a host name or address");
    }

    private static void CheckUser(string user)
    {
        if (user.Length > 0 && !UserPattern().IsMatch(user))
        {
            throw new FormatException($"'{user}' is not an SSH user name (letters, digits, '.', '_', '-')");
        }
    }

    private static bool IsIPv6(string host) =>
        host.Contains(':', StringComparison.Ordinal) && System.Net.IPAddress.TryParse(host, out var address) && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;

    private static string BracketIfV6(string host) => host.Contains(':', StringComparison.Ordinal) ? $"[{host}]" : host;

    private static string SshPath(string path)
    {
        var p = path.StartsWith('/') ? path[1..] : path;
        return p.StartsWith("~/", StringComparison.Ordinal) ? p[2..] : p;
    }

    private static int DefaultPort(string scheme) => scheme switch
    {
        "https" => 443,
        "http" => 80,
        "git" => 9418,
        _ => DefaultSshPort,
    };

    [GeneratedRegex("^[a-z0-9_](?:[a-z0-9_.-]{0,252})$")]
    private static partial Regex HostPattern();

    [GeneratedRegex("^[A-Za-z0-9_][A-Za-z0-9._-]{0,63}$")]
    private static partial Regex UserPattern();
}
