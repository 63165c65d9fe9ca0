using Cluster.NodeAgent.Assignments;
using Cluster.Protos.Agent.V1;
using static Cluster.NodeAgent.Tests.Support.Credentials;

namespace Cluster.NodeAgent.Tests.Assignments;

public sealed class AssignmentChainTests
{
    private readonly AssignmentStore _store = new();

    [Fact]
    public void Apply_Full_ReplacesEverythingAndAcksResultsIn()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(3, Update(Pull("old", "old.example", 1)), Pin("app-old", "old.example/app:1@sha256:" + new string('a', 64))));

        var outcome = chain.Apply(Full(7, Update(Pull("a", "ghcr.io/team", 5)), Update(Pull("b", "quay.io", 7))));

        Assert.Equal(AssignmentOutcomeKind.Applied, outcome.Kind);
        Assert.Equal(7ul, outcome.Reply!.Ack.Revision);
        Assert.Equal(7ul, _store.Current.Revision);
        Assert.Equal(["a", "b"], _store.Current.Credentials.Keys.Order());
        Assert.Empty(_store.Current.Pins);
        Assert.Equal(["old"], outcome.RemovedCredentials);
        Assert.Equal(["a", "b"], outcome.ChangedCredentials.Select(c => c.Id));
    }

    [Fact]
    public void Apply_IncrementalsInOrder_AppliesEachAndAcksEachRevision()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4, Update(Pull("a", "ghcr.io", 4))));

        var first = chain.Apply(Incremental(4, 5, Update(Pull("b", "quay.io", 5))));
        var second = chain.Apply(Incremental(5, 6, Remove("a")));

        Assert.Equal(5ul, first.Reply!.Ack.Revision);
        Assert.Equal(["b"], first.ChangedCredentials.Select(c => c.Id));
        Assert.Equal(6ul, second.Reply!.Ack.Revision);
        Assert.Equal(["a"], second.RemovedCredentials);
        Assert.Equal(["b"], _store.Current.Credentials.Keys);
        Assert.Equal(6ul, _store.Current.Revision);
    }

    [Fact]
    public void Apply_IncrementalOutOfOrder_RequestsResyncWithHeldRevisionAndKeepsState()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4, Update(Pull("a", "ghcr.io", 4))));
        var before = _store.Current;

        var outcome = chain.Apply(Incremental(5, 6, Update(Pull("b", "quay.io", 6))));

        Assert.Equal(AssignmentOutcomeKind.ResyncRequested, outcome.Kind);
        Assert.Equal(AgentMessage.KindOneofCase.Resync, outcome.Reply!.KindCase);
        Assert.Equal(4ul, outcome.Reply.Resync.HeldRevision);
        Assert.Contains("applies to revision 5", outcome.Reply.Resync.Reason, StringComparison.Ordinal);
        Assert.Same(before, _store.Current);
        Assert.True(chain.AwaitingFull);
    }

    [Fact]
    public void Apply_IncrementalWhileAwaitingFull_IsDroppedWithoutReplyUntilFullArrives()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4));
        chain.Apply(Incremental(5, 6));

        // Even one that happens to fit the held revision waits for the full set.
        var dropped = chain.Apply(Incremental(4, 5, Update(Pull("x", "x.example", 5))));
        var full = chain.Apply(Full(6, Update(Pull("b", "quay.io", 6))));
        var next = chain.Apply(Incremental(6, 7, Update(Pull("c", "c.example", 7))));

        Assert.Equal(AssignmentOutcomeKind.Ignored, dropped.Kind);
        Assert.Null(dropped.Reply);
        Assert.Equal(6ul, full.Reply!.Ack.Revision);
        Assert.Equal(7ul, next.Reply!.Ack.Revision);
        Assert.Equal(["b", "c"], _store.Current.Credentials.Keys.Order());
        Assert.False(chain.AwaitingFull);
    }

    [Fact]
    public void Apply_CredentialChangeThatDoesNotMoveForward_RequestsResync()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4));

        var outcome = chain.Apply(Incremental(4, 4, Update(Pull("a", "ghcr.io", 4))));

        Assert.Equal(AssignmentOutcomeKind.ResyncRequested, outcome.Kind);
        Assert.Equal(4ul, outcome.Reply!.Resync.HeldRevision);
        Assert.Empty(_store.Current.Credentials);
    }

    [Fact]
    public void Apply_PinsOnlyAtTheSameRevision_AppliedWithoutMovingTheRevision()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4, Update(Pull("a", "ghcr.io", 4))));

        var outcome = chain.Apply(Incremental(4, 4, Pin("web", "ghcr.io/t/web:2@sha256:" + new string('a', 64))));

        Assert.NotEqual(AssignmentOutcomeKind.ResyncRequested, outcome.Kind);
        Assert.Equal(4ul, outcome.Reply!.Ack.Revision);
        Assert.Equal(["web"], outcome.ChangedPins.Select(p => p.AppId));
        Assert.Equal(["a"], _store.Current.Credentials.Keys);
    }

    [Fact]
    public void Apply_UnspecifiedType_RequestsResync()
    {
        var outcome = new AssignmentChain(_store).Apply(new AssignmentSet { ResultsIn = 3 });

        Assert.Equal(AssignmentOutcomeKind.ResyncRequested, outcome.Kind);
        Assert.Equal(0ul, outcome.Reply!.Resync.HeldRevision);
    }

    [Fact]
    public void Apply_FullAtSameRevisionWithSameContent_AcksButReportsNoChange()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4, Update(Pull("a", "ghcr.io", 4))));

        var outcome = new AssignmentChain(_store).Apply(Full(4, Update(Pull("a", "ghcr.io", 4))));

        Assert.Equal(4ul, outcome.Reply!.Ack.Revision);
        Assert.Empty(outcome.ChangedCredentials);
        Assert.Empty(outcome.RemovedCredentials);
    }

    [Fact]
    public void Apply_SecretRotatedAtNewRevision_ReportsCredentialAsChanged()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(4, Update(Pull("a", "ghcr.io", 4, secret: "old"))));

        var outcome = chain.Apply(Incremental(4, 5, Update(Pull("a", "ghcr.io", 5, secret: "new"))));

        var changed = Assert.Single(outcome.ChangedCredentials);
        Assert.Equal(5ul, changed.Revision);
        Assert.Equal("new", _store.Current.Credentials["a"].Secret);
    }

    [Fact]
    public void Apply_NewAndChangedPins_AreReportedForPulling()
    {
        var chain = new AssignmentChain(_store);
        var digest = "@sha256:" + new string('b', 64);
        chain.Apply(Full(1, Pin("web", "ghcr.io/t/web:1" + digest)));

        var outcome = chain.Apply(Incremental(1, 2, Pin("web", "ghcr.io/t/web:2" + digest), Pin("api", "ghcr.io/t/api:1" + digest)));

        Assert.Equal(["api", "web"], outcome.ChangedPins.Select(p => p.AppId));
        Assert.Equal("ghcr.io/t/web:2" + digest, _store.Current.Pins["web"].Image);
    }

    [Fact]
    public void Apply_MalformedChange_IsSkippedAndTheRestApplied()
    {
        var outcome = new AssignmentChain(_store).Apply(Full(2, Update(Pull("", "ghcr.io", 2)), Update(Pull("ok", "ghcr.io", 2))));

        Assert.Equal(AssignmentOutcomeKind.Applied, outcome.Kind);
        Assert.Single(outcome.Skipped);
        Assert.Equal(["ok"], _store.Current.Credentials.Keys);
    }

    [Fact]
    public void Publish_ReplacesSnapshotAtomically_OldSnapshotUnchanged()
    {
        var chain = new AssignmentChain(_store);
        chain.Apply(Full(1, Update(Pull("a", "ghcr.io", 1))));
        var reader = _store.Current;

        chain.Apply(Incremental(1, 2, Remove("a")));

        Assert.Equal(1ul, reader.Revision);
        Assert.True(reader.Credentials.ContainsKey("a"));
        Assert.Empty(_store.Current.Credentials);
    }

    private static AssignmentSet Full(ulong resultsIn, params Assignment[] changes)
    {
        var set = new AssignmentSet { Type = AssignmentSet.Types.Type.Full, ResultsIn = resultsIn };
        set.Changes.AddRange(changes);
        return set;
    }

    private static AssignmentSet Incremental(ulong appliesTo, ulong resultsIn, params Assignment[] changes)
    {
        var set = new AssignmentSet { Type = AssignmentSet.Types.Type.Incremental, AppliesTo = appliesTo, ResultsIn = resultsIn };
        set.Changes.AddRange(changes);
        return set;
    }

    private static Assignment Update(PullCredential credential) => new() { Action = Assignment.Types.Action.Update, Credential = credential };

    private static Assignment Remove(string id) => new() { Action = Assignment.Types.Action.Remove, Credential = new PullCredential { Id = id } };

    private static Assignment Pin(string app, string image) => new() { Action = Assignment.Types.Action.Update, ImagePin = new ImagePin { Id = app, Image = image } };
}
