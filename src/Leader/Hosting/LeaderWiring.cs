using Cluster.Leader.Agents;
using Cluster.Leader.Credentials;

namespace Cluster.Leader.Hosting;

// The events between the leader's services, wired in one place when the leader starts and
// unwired when it stops. No service subscribes to another's event in its constructor
// (LeaderWiringTests): constructing a service changes nothing elsewhere, and what reacts to
// what is read here. A hosted service that follows an event for its own work subscribes when it
// starts (ImageHousekeeping.StartAsync, HelperRefresher.ExecuteAsync). LeaderHost registers
// this one before the leader's other hosted services, so the wiring is in place before anything
// can change (the helper refresher's first refreshes) and before the endpoint takes a call.
public sealed class LeaderWiring(CredentialService credentials, SessionRegistry sessions) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        // A committed credential change reaches every agent session at once (and the history
        // that answers a reconnecting agent's held_revision).
        credentials.Changed += sessions.OnCredentialChanged;
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken)
    {
        credentials.Changed -= sessions.OnCredentialChanged;
        return Task.CompletedTask;
    }
}
