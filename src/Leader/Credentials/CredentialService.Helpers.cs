using Cluster.Core.Credentials;
using Cluster.Core.Images;
using Cluster.Core.Registry;
using Cluster.Leader.Operations;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Credentials;

// What Credentials/Helpers (issue #12: credentials whose secret comes from a credential helper
// and is refreshed) needs of this service: its validation, its change lock and its change event,
// so a refreshed token is one more credential revision on exactly the path of `registry update`.
// Kept apart from CredentialService.cs so both evolve without stepping on each other.
public sealed partial class CredentialService
{
    internal static string ValidNameOf(string? name) => ValidName(name);

    internal static RegistryProvider ValidProviderOf(string? provider) => ValidProvider(provider);

    internal static string ValidUrlOf(RegistryProvider provider, string? url, bool insecure) => ValidUrl(provider, url, insecure);

    // Runs `change` under the same lock as add/update/remove, so revisions and the events that
    // announce them stay in order.
    internal async Task<T> UnderChangeLockAsync<T>(Func<T> change, CancellationToken cancellationToken)
    {
        await _changes.WaitAsync(cancellationToken);
        try
        {
            return change();
        }
        finally
        {
            _changes.Release();
        }
    }

    // Announces a committed change to the agents' sessions (call after the write, under the lock).
    internal void Publish(CredentialChange change) => Changed?.Invoke(change);

    internal CredentialRecord? FindRecord(string name) => db.Read(d => d.Credentials.FindOne(c => c.Name == name));

    internal static CredentialView ViewOf(CredentialRecord record) => View(record);

    internal async Task VerifyOrThrowForHelperAsync(string name, RegistryProvider provider, string url, bool insecure, RegistryLogin login, CancellationToken cancellationToken) =>
        await VerifyOrThrowAsync(name, provider, url, insecure, login, PushNamespaceFor(name), cancellationToken);

    internal string? PushNamespaceOf(string name) => PushNamespaceFor(name);

    // A helper credential's secret belongs to its helper: a static password or username would be
    // overwritten at the next refresh, so it is refused with what to do instead.
    private static void RefuseStaticUpdateOfHelper(CredentialRecord current)
    {
        if (current.Helper is not null)
        {
            throw new OperationException(OperationError.FailedPrecondition,
                $"registry '{current.Name}' gets its secret from docker-credential-{current.Helper}, which the leader runs before the token expires; " +
                $"change the helper's environment with `clusterctl registry update {current.Name} --helper-env-stdin`, or remove it and add a static credential");
        }
    }

    internal static RegistryLogin LoginFor(string url, string username, string secret) =>
        new(ProviderRules.EngineServerAddress(HostOf(url)), username, secret);
}
