using Cluster.Leader.AutoSync;

namespace Cluster.Leader.Tests.AutoSync;

public sealed class SyncDeciderTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(60);
    private static readonly string A = "sha256:" + new string('a', 64);
    private static readonly string B = "sha256:" + new string('b', 64);

    private static AppSyncFacts Facts(string deployed = "", bool running = false, DateTimeOffset? lastAuto = null, string? failed = null) =>
        new(deployed, running, Interval, lastAuto, failed);

    [Fact]
    public void Decide_SameDigest_Unchanged() =>
        Assert.Equal(SyncVerdict.Unchanged, SyncDecider.Decide(Facts(A), A, Now).Verdict);

    [Fact]
    public void Decide_NewDigest_Deploy() =>
        Assert.Equal(SyncVerdict.Deploy, SyncDecider.Decide(Facts(A), B, Now).Verdict);

    [Fact]
    public void Decide_DeploymentRunning_AbsorbedNotDeployed() =>
        Assert.Equal(SyncVerdict.Absorbed, SyncDecider.Decide(Facts(A, running: true), B, Now).Verdict);

    [Fact]
    public void Decide_NeverDeployed_NotDeployed() =>
        Assert.Equal(SyncVerdict.NotDeployed, SyncDecider.Decide(Facts(""), B, Now).Verdict);

    [Fact]
    public void Decide_DigestWhoseAutoDeployFailed_SkippedUntilTheTagMoves()
    {
        Assert.Equal(SyncVerdict.Skipped, SyncDecider.Decide(Facts(A, failed: B), B, Now).Verdict);
        Assert.Equal(SyncVerdict.Deploy, SyncDecider.Decide(Facts(A, failed: B), "sha256:" + new string('c', 64), Now).Verdict);
    }

    [Fact]
    public void Decide_FlipBackWithinOneIntervalOfTheLastAutoDeploy_HeldUntilTheIntervalEnds()
    {
        var lastAuto = Now - TimeSpan.FromSeconds(10);

        var (verdict, holdUntil) = SyncDecider.Decide(Facts(B, lastAuto: lastAuto), A, Now);

        Assert.Equal(SyncVerdict.Held, verdict);
        Assert.Equal(lastAuto + Interval, holdUntil);
        Assert.Equal(SyncVerdict.Deploy, SyncDecider.Decide(Facts(B, lastAuto: lastAuto), A, lastAuto + Interval).Verdict);
    }

    [Fact]
    public void Decide_FlipBackAndForthWithinOneInterval_SettledDigestIsUnchangedSoNoSecondDeploy()
    {
        // A -> B deployed at t0; B -> A -> B within the interval: at the hold's end the registry
        // says B again, which runs, so nothing more is deployed.
        var t0 = Now;
        Assert.Equal(SyncVerdict.Held, SyncDecider.Decide(Facts(B, lastAuto: t0), A, t0 + TimeSpan.FromSeconds(5)).Verdict);
        Assert.Equal(SyncVerdict.Unchanged, SyncDecider.Decide(Facts(B, lastAuto: t0), B, t0 + Interval).Verdict);
    }
}
