using Cluster.Core.Builds;
using Cluster.Core.Docker;

namespace Cluster.Core.Tests.Builds;

public sealed class ImageRetentionTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    // Image n of an app: built at T0 + n minutes, pushed as ns/app:vN with digest dN.
    private static EngineImage Built(string app, int n, bool labeled = true, string? deployment = null) => new(
        Id(app, n),
        [$"10.0.0.5:5000/ns/{app}:v{n}"],
        [$"10.0.0.5:5000/ns/{app}@{Digest(app, n)}"],
        labeled ? new Dictionary<string, string> { ["cluster.app"] = app, ["cluster.deployment"] = deployment ?? $"d{n}" } : new Dictionary<string, string> { ["cluster.app"] = app },
        T0.AddMinutes(n));

    private static string Id(string app, int n) => "sha256:" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(app + n)).PadRight(64, '0')[..64];

    private static string Digest(string app, int n) => "sha256:" + Convert.ToHexStringLower(System.Text.Encoding.ASCII.GetBytes(app + n)).PadRight(64, 'd')[..64];

    [Fact]
    public void SevenImagesOfOneApp_KeepFive_RemovesTheTwoOldest()
    {
        var images = Enumerable.Range(1, 7).Select(n => Built("web", n)).ToList();

        var remove = ImageRetention.ToRemove(images, 5, []);

        Assert.Equal([Id("web", 1), Id("web", 2)], remove.Select(i => i.Id).Order());
    }

    [Fact]
    public void TwoApps_CountedPerApp()
    {
        var images = Enumerable.Range(1, 3).Select(n => Built("web", n)).Concat(Enumerable.Range(1, 2).Select(n => Built("api", n))).ToList();

        var remove = ImageRetention.ToRemove(images, 2, []);

        Assert.Equal([Id("web", 1)], remove.Select(i => i.Id));
    }

    [Fact]
    public void OldImageAServiceRunsByDigest_IsKept()
    {
        var images = Enumerable.Range(1, 7).Select(n => Built("web", n)).ToList();

        // As a service spec names it: repo:tag@digest (the node holds it as repo@digest).
        var remove = ImageRetention.ToRemove(images, 5, [$"10.0.0.5:5000/ns/web:v1@{Digest("web", 1)}"]);

        Assert.Equal([Id("web", 2)], remove.Select(i => i.Id));
    }

    [Fact]
    public void RegistryLessImageRunByTag_IsKept()
    {
        var local = Built("web", 1) with { RepoTags = ["127.0.0.1:1/cluster-build/web:abc-d1"], RepoDigests = [] };
        var images = Enumerable.Range(2, 6).Select(n => Built("web", n)).Append(local).ToList();

        var remove = ImageRetention.ToRemove(images, 5, ["127.0.0.1:1/cluster-build/web:abc-d1"]);

        Assert.Equal([Id("web", 2)], remove.Select(i => i.Id));
    }

    [Fact]
    public void KeptByImageId()
    {
        var images = Enumerable.Range(1, 3).Select(n => Built("web", n)).ToList();

        Assert.Empty(ImageRetention.ToRemove(images, 2, [Id("web", 1)]));
    }

    [Fact]
    public void ImagesWithoutBothBuildLabels_AreNeverCandidates()
    {
        // Same names, but not made by the build servers (no deployment label), or no labels at all.
        var foreign = Enumerable.Range(1, 4).Select(n => Built("web", n, labeled: false)).ToList();
        var unlabeled = new EngineImage("sha256:" + new string('9', 64), ["10.0.0.5:5000/ns/web:v0"], [], new Dictionary<string, string>(), T0);

        Assert.Empty(ImageRetention.ToRemove([.. foreign, unlabeled], 1, []));
    }

    [Fact]
    public void KeepZero_RemovesNothing()
    {
        Assert.Empty(ImageRetention.ToRemove(Enumerable.Range(1, 7).Select(n => Built("web", n)), 0, []));
    }

    [Fact]
    public void DockerHubNames_MatchInEitherSpelling()
    {
        var images = Enumerable.Range(1, 2).Select(n => Built("web", n) with { RepoTags = [$"acme/web:v{n}"], RepoDigests = [$"acme/web@{Digest("web", n)}"] }).ToList();

        Assert.Empty(ImageRetention.ToRemove(images, 1, [$"docker.io/acme/web:v1@{Digest("web", 1)}"]));
    }

    [Fact]
    public void ReferencesOf_TagsThenDigests_OrTheIdForADanglingImage()
    {
        var image = Built("web", 1);
        Assert.Equal([.. image.RepoTags, .. image.RepoDigests], ImageRetention.ReferencesOf(image));
        Assert.Equal([image.Id], ImageRetention.ReferencesOf(image with { RepoTags = [], RepoDigests = [] }));
    }
    [Fact]
    public void OldBuiltImageTheOperatorAlsoTagged_IsNotTouched()
    {
        // `docker tag 10.0.0.5:5000/ns/web:v1 myorg/web-golden:keep`: removing the image would
        // remove the operator's own tag with it, a reference the product never made.
        var images = Enumerable.Range(1, 7).Select(n => Built("web", n)).ToList();
        images[0] = images[0] with { RepoTags = [.. images[0].RepoTags, "myorg/web-golden:keep"] };

        var remove = ImageRetention.ToRemove(images, 5, []);

        Assert.Equal([Id("web", 2)], remove.Select(i => i.Id));
    }

    [Fact]
    public void ImageBuiltFromABuiltImage_InheritedLabels_IsNeitherCandidateNorCounted()
    {
        // `FROM 10.0.0.5:5000/ns/web:v5` in the operator's own Dockerfile: the image inherits
        // both build labels but is the operator's. It is not removed, and being newer it must
        // not push one of the app's own five out of the newest five either.
        var images = Enumerable.Range(1, 5).Select(n => Built("web", n)).ToList();
        var derived = Built("web", 9) with { Id = "sha256:" + new string('7', 64), RepoTags = ["myorg/debug:1"], RepoDigests = [] };
        var derivedDangling = derived with { Id = "sha256:" + new string('6', 64), RepoTags = [], Created = T0 };

        var remove = ImageRetention.ToRemove([.. images, derived, derivedDangling], 5, []);

        Assert.Empty(remove);
    }

    [Fact]
    public void NameOfAnotherApp_WithThisAppsLabels_IsNotACandidate()
    {
        // Labels say app "web", the name says "api": not something the build of "web" made.
        var images = Enumerable.Range(1, 3).Select(n => Built("web", n)).ToList();
        var odd = Built("web", 0) with { Id = "sha256:" + new string('5', 64), RepoTags = ["10.0.0.5:5000/ns/api:v0"], RepoDigests = [] };

        var remove = ImageRetention.ToRemove([.. images, odd], 1, []);

        Assert.Equal([Id("web", 1), Id("web", 2)], remove.Select(i => i.Id).Order());
    }
}
