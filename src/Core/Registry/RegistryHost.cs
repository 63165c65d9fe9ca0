using System.Globalization;
using System.Net;
using System.Net.Sockets;
using Cluster.Core.Images;

namespace Cluster.Core.Registry;

// One registry endpoint, named as image references name it ("ghcr.io", "10.77.0.254:5000",
// "[::1]:5000", "docker.io"), plus whether it was added as insecure.
//
// Transport rules, the same as Docker's:
// - TLS with a verified certificate, always tried first;
// - Insecure: certificates are not verified, and plain HTTP is used when the port does not speak
//   TLS (Docker's --insecure-registry);
// - loopback hosts (127.0.0.0/8, ::1, localhost) may use plain HTTP without being Insecure (as
//   Docker treats 127.0.0.0/8), but their certificates are still verified when they speak TLS.
// Host is validated on construction (ArgumentException) and by Parse (FormatException).
public sealed record RegistryHost(string Host, bool Insecure)
{
    private const string DockerHubApiHost = "registry-1.docker.io";

    private readonly string _host = Validate(Host);

    public string Host
    {
        get => _host;
        init => _host = Validate(value);
    }

    // The host the HTTP API lives on: Docker Hub's names map to registry-1.docker.io.
    public string ApiHost => IsDockerHub(_host) ? DockerHubApiHost : _host;

    // https://ApiHost/, or http://ApiHost/ when plain HTTP is allowed (Insecure or loopback).
    // RegistryClient still tries TLS first on such hosts and falls back to this plain base only
    // when the port does not speak TLS.
    public Uri BaseUri => new((AllowsPlainHttp ? "http://" : "https://") + ApiHost + "/");

    // True for 127.0.0.0/8, ::1 and localhost.
    public bool IsLoopback
    {
        get
        {
            var name = HostName(_host);
            if (string.Equals(name, "localhost", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }

            var literal = name.StartsWith('[') ? name[1..^1] : name;
            return IPAddress.TryParse(literal, out var address) && IPAddress.IsLoopback(address);
        }
    }

    public bool AllowsPlainHttp => Insecure || IsLoopback;

    // Accepts "host[:port]", "host[:port]/path-prefix" (the prefix is dropped: it belongs to the
    // image path, not to the endpoint), "https://host[:port][/...]" and "http://host[:port][/...]"
    // (plain HTTP only with insecure or a loopback host). Docker Hub's aliases (index.docker.io,
    // registry-1.docker.io, and Docker's legacy "https://index.docker.io/v1/") become "docker.io".
    // Never echoes a URL that carries credentials.
    public static RegistryHost Parse(string url, bool insecure)
    {
        ArgumentNullException.ThrowIfNull(url);
        var text = url.Trim();
        if (text.Length == 0)
        {
            throw new FormatException("registry URL is empty; expected host[:port] or https://host[:port]");
        }

        if (text.Any(c => char.IsControl(c) || char.IsWhiteSpace(c)))
        {
            throw new FormatException("registry URL must not contain spaces or control characters");
        }

        string? scheme = null;
        var schemeEnd = text.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd >= 0)
        {
            scheme = text[..schemeEnd].ToLowerInvariant();
            text = text[(schemeEnd + 3)..];
        }

        var end = text.IndexOfAny(['/', '?', '#']);
        var authority = end < 0 ? text : text[..end];
        if (authority.Contains('@', StringComparison.Ordinal))
        {
            // The part before '@' may be a password: never put it in a message.
            throw new FormatException("registry URL must not contain a user name or password; give credentials separately");
        }

        if (scheme is not null && scheme is not ("https" or "http"))
        {
            throw new FormatException($"registry URL \"{url.Trim()}\" has scheme '{scheme}'; use host[:port] or https://host[:port]");
        }

        if (end >= 0 && text.IndexOfAny(['?', '#']) >= 0)
        {
            throw new FormatException($"registry URL \"{url.Trim()}\" must not contain a query or fragment");
        }

        if (Problem(authority) is { } problem)
        {
            throw new FormatException($"registry URL \"{url.Trim()}\" is not valid: {problem}");
        }

        var host = new RegistryHost(Normalize(authority), insecure);
        if (scheme == "http" && !host.AllowsPlainHttp)
        {
            throw new FormatException($"registry URL \"{url.Trim()}\" uses plain HTTP; add the registry with --insecure, or use https://");
        }

        return host;
    }

    public override string ToString() => Insecure ? _host + " (insecure)" : _host;

    internal static bool IsDockerHub(string host) =>
        host.Equals(ImageReferenceParser.DefaultDomain, StringComparison.OrdinalIgnoreCase) ||
        host.Equals(ImageReferenceParser.LegacyDefaultDomain, StringComparison.OrdinalIgnoreCase) ||
        host.Equals(DockerHubApiHost, StringComparison.OrdinalIgnoreCase);

    private static string Normalize(string authority) =>
        IsDockerHub(authority) ? ImageReferenceParser.DefaultDomain : authority;

    private static string Validate(string host)
    {
        ArgumentNullException.ThrowIfNull(host);
        if (Problem(host) is { } problem)
        {
            throw new ArgumentException($"registry host \"{host}\" is not valid: {problem}", nameof(host));
        }

        return host;
    }

    // Docker's domain grammar, plus what a connection needs: a port in 1..65535 and an IPv6
    // literal that really is one.
    private static string? Problem(string host)
    {
        if (host.Contains('@', StringComparison.Ordinal))
        {
            return "it must not contain a user name or password";
        }

        if (ReferenceGrammar.DomainProblem(host) is { } problem)
        {
            return problem;
        }

        var name = HostName(host);
        if (name.StartsWith('[') &&
            !(IPAddress.TryParse(name[1..^1], out var v6) && v6.AddressFamily == AddressFamily.InterNetworkV6))
        {
            return $"{name} is not an IPv6 address";
        }

        if (name.Length < host.Length)
        {
            var port = host[(name.Length + 1)..];
            if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var number) || number is < 1 or > 65535)
            {
                return $"port {port} is not in 1..65535";
            }
        }

        return null;
    }

    // The host without its port: "[::1]:5000" -> "[::1]", "ghcr.io:443" -> "ghcr.io".
    private static string HostName(string host)
    {
        if (host.StartsWith('['))
        {
            var close = host.IndexOf(']', StringComparison.Ordinal);
            return close < 0 ? host : host[..(close + 1)];
        }

        var colon = host.IndexOf(':', StringComparison.Ordinal);
        return colon < 0 ? host : host[..colon];
    }
}
