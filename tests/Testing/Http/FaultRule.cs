using Microsoft.AspNetCore.Http;

namespace Cluster.Testing.Http;

// One fault a FaultProxy injects into the requests it matches (method, path and query), at most
// Times times (then the request is forwarded untouched). Three shapes:
// - Respond: answer without asking upstream (status, headers, optional body);
// - Abort: drop the connection without an answer (a registry that is down mid-flight);
// - Rewrite: forward, then change the upstream response's headers before the client sees them.
// Thread-safe: the remaining count is taken atomically, so "once" means once under concurrency.
public sealed class FaultRule
{
    private readonly Func<string, string, bool> _matches;
    private int _remaining;

    private FaultRule(string name, Func<string, string, bool> matches, int times)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(times);
        Name = name;
        _matches = matches;
        _remaining = times;
    }

    public string Name { get; }

    // How many more times this rule will fire.
    public int Remaining => Volatile.Read(ref _remaining);

    internal int? Status { get; private init; }

    internal IReadOnlyList<(string Name, string Value)> Headers { get; private init; } = [];

    internal string? Body { get; private init; }

    internal bool Abort { get; private init; }

    internal Action<IHeaderDictionary>? Rewrite { get; private init; }

    public static bool AnyRequest(string method, string path) => true;

    public static bool ManifestRequest(string method, string path) => path.Contains("/manifests/", StringComparison.Ordinal);

    public static bool ManifestHead(string method, string path) => method == "HEAD" && ManifestRequest(method, path);

    public static FaultRule Respond(string name, Func<string, string, bool> matches, int status, int times = int.MaxValue, string? body = null, params (string Name, string Value)[] headers) =>
        new(name, matches, times) { Status = status, Headers = headers, Body = body };

    public static FaultRule AbortConnection(string name, Func<string, string, bool> matches, int times = int.MaxValue) =>
        new(name, matches, times) { Abort = true };

    public static FaultRule RewriteResponse(string name, Func<string, string, bool> matches, Action<IHeaderDictionary> rewrite, int times = int.MaxValue) =>
        new(name, matches, times) { Rewrite = rewrite };

    // A registry that refuses HEAD on manifests (404, 405 or 403) while GET works.
    public static FaultRule RefuseManifestHead(int status) =>
        Respond($"HEAD refused with {status}", ManifestHead, status);

    // 429 with Retry-After (seconds or an HTTP date), `times` times, then normal answers.
    public static FaultRule TooManyRequests(string retryAfter, int times = 1, Func<string, string, bool>? matches = null) =>
        Respond($"429 Retry-After {retryAfter}", matches ?? AnyRequest, 429, times,
            "{\"errors\":[{\"code\":\"TOOMANYREQUESTS\",\"message\":\"slow down\"}]}",
            ("Retry-After", retryAfter), ("Content-Type", "application/json"));

    public static FaultRule Unavailable(int times = 1, Func<string, string, bool>? matches = null) =>
        Respond("503", matches ?? AnyRequest, 503, times, "unavailable");

    // The registry is down: every matching connection is dropped.
    public static FaultRule Down(int times = int.MaxValue, Func<string, string, bool>? matches = null) =>
        AbortConnection("down", matches ?? AnyRequest, times);

    // A proxy that strips Docker-Content-Digest from manifest answers.
    public static FaultRule DropDigestHeader() =>
        RewriteResponse("Docker-Content-Digest dropped", ManifestRequest, h => h.Remove("Docker-Content-Digest"));

    // A proxy (or registry) that sends a Docker-Content-Digest that is not the manifest's.
    public static FaultRule FalsifyDigestHeader(string digest) =>
        RewriteResponse($"Docker-Content-Digest set to {digest}", ManifestRequest, h => h["Docker-Content-Digest"] = digest);

    internal bool TryTake(string method, string path)
    {
        if (!_matches(method, path))
        {
            return false;
        }

        while (true)
        {
            var left = Volatile.Read(ref _remaining);
            if (left <= 0)
            {
                return false;
            }

            if (left == int.MaxValue || Interlocked.CompareExchange(ref _remaining, left - 1, left) == left)
            {
                return true;
            }
        }
    }

    public override string ToString() => Name;
}
