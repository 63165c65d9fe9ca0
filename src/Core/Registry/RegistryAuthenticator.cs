using System.Collections.Concurrent;
using System.Net;

namespace Cluster.Core.Registry;

// The WWW-Authenticate state machine: a request goes anonymous first (unless the host's scheme
// is already known), then the challenge is answered once (Basic: the same request with the
// login; Bearer: a token for the scope). A cached token that is refused is dropped and asked for
// again; a token issued for this very request that is refused is final (permissions, not a stale
// cache). The host's last challenge is remembered so that later requests authenticate at once.
// Returns the final reply whatever its status: classifying a 401 that remains is the caller's.
internal sealed class RegistryAuthenticator(RegistryEndpoints endpoints, BearerTokenClient tokens)
{
    // Per registry: its last challenge (Basic, or Bearer with realm and service).
    private readonly ConcurrentDictionary<string, AuthChallenge> _challenges = new(StringComparer.OrdinalIgnoreCase);

    // fresh: ignore remembered challenges and cached tokens (login checks).
    public async Task<RegistryReply> SendAsync(RegistryOperation op, HttpMethod method, string path, string? scope, IReadOnlyList<string>? accept, int maxBody, bool fresh, CancellationToken cancellationToken)
    {
        var key = RegistryEndpoints.Key(op.Host);
        var auth = AuthUse.Anonymous;
        if (!fresh && _challenges.TryGetValue(key, out var known))
        {
            if (known.IsBasic && op.Login is not null)
            {
                auth = AuthUse.ForBasic(op.BasicHeader);
            }
            else if (known.IsBearer && scope is not null)
            {
                auth = await tokens.GetAsync(op, known, scope, useCache: true, cancellationToken);
            }
        }

        for (var attempt = 0; ; attempt++)
        {
            var reply = await endpoints.SendAsync(op, method, path, accept, maxBody, auth, cancellationToken);
            if (reply.Status != HttpStatusCode.Unauthorized || attempt >= 2)
            {
                return reply;
            }

            var challenges = AuthChallenge.Parse(reply.Headers("WWW-Authenticate"));
            var bearer = challenges.FirstOrDefault(c => c.IsBearer && c["realm"] is { Length: > 0 });
            var basic = challenges.FirstOrDefault(c => c.IsBasic);
            if (bearer is not null)
            {
                _challenges[key] = new AuthChallenge(bearer.Scheme, new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase)
                {
                    ["realm"] = bearer["realm"]!,
                    ["service"] = bearer["service"] ?? string.Empty,
                });
                if (auth.Kind == AuthKind.Bearer && auth.FreshToken)
                {
                    return reply; // a token just issued was refused: permissions, not a stale cache
                }

                if (auth.Kind == AuthKind.Bearer && auth.CacheKey is not null)
                {
                    tokens.Forget(auth.CacheKey); // revoked or expired early: ask again
                }

                auth = await tokens.GetAsync(op, bearer, scope, useCache: false, cancellationToken);
            }
            else if (basic is not null)
            {
                _challenges[key] = basic;
                if (auth.Kind == AuthKind.Basic || op.Login is null)
                {
                    return reply;
                }

                auth = AuthUse.ForBasic(op.BasicHeader);
            }
            else
            {
                return reply; // no challenge we can answer
            }
        }
    }
}
