using System.Diagnostics.CodeAnalysis;

namespace Cluster.Core.Images;

// A Docker image reference, normalized exactly as the docker CLI does (ParseNormalizedNamed of
// github.com/distribution/reference) but without adding an implicit ":latest": "nginx" has no tag.
// Equality compares Registry, Repository, Tag and Digest ordinally; everything else is derived.
public sealed record ImageReference
{
    internal ImageReference(string registry, string repository, string? tag, string? digest)
    {
        Registry = registry;
        Repository = repository;
        Tag = tag;
        Digest = digest;
    }

    // The registry host with optional port, as written ("ghcr.io", "localhost:5000", "[::1]:5000",
    // case preserved), "docker.io" for Docker Hub (including "index.docker.io"). Empty in Docker's
    // odd case of a first component that looks like a host but is not one while being a valid
    // path component, e.g. "foo_bar.com/app": Docker then treats the whole name as a path.
    public string Registry { get; }

    // The path after the registry, e.g. "library/nginx"; at most 255 characters.
    public string Repository { get; }

    // Null when the reference has no tag; never defaulted to "latest".
    public string? Tag { get; }

    // "algorithm:hex" (sha256, sha384 or sha512, lowercase hex of the right length), or null.
    public string? Digest { get; }

    // Registry + "/" + Repository (just Repository when Registry is empty): Docker's Name().
    public string Name => Registry.Length == 0 ? Repository : Registry + "/" + Repository;

    // Docker's reference.String(): name[:tag][@digest], e.g. "docker.io/library/nginx:1.25".
    public string Canonical => Name + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    // Docker's FamiliarName: docker.io and a lone "library/" dropped ("nginx", "user/app"),
    // any other registry kept ("ghcr.io/a/b").
    public string FamiliarName
    {
        get
        {
            if (!string.Equals(Registry, ImageReferenceParser.DefaultDomain, StringComparison.Ordinal))
            {
                return Name;
            }

            if (Repository.StartsWith(ImageReferenceParser.OfficialRepoPrefix, StringComparison.Ordinal))
            {
                string remainder = Repository[ImageReferenceParser.OfficialRepoPrefix.Length..];
                if (!remainder.Contains('/', StringComparison.Ordinal))
                {
                    return remainder;
                }
            }

            return Repository;
        }
    }

    // Docker's FamiliarString: FamiliarName[:tag][@digest], e.g. "nginx:1.25".
    public string FamiliarString => FamiliarName + (Tag is null ? string.Empty : ":" + Tag) + (Digest is null ? string.Empty : "@" + Digest);

    public RegistryProvider Provider => RegistryProviders.FromHost(Registry);

    public static ImageReference Parse(string reference)
    {
        ArgumentNullException.ThrowIfNull(reference);
        return ImageReferenceParser.Parse(reference, out ImageReferenceError? error)
            ?? throw new ImageReferenceException(error!);
    }

    public static bool TryParse(
        string reference,
        [NotNullWhen(true)] out ImageReference? result,
        [NotNullWhen(false)] out ImageReferenceError? error)
    {
        if (reference is null)
        {
            result = null;
            error = new ImageReferenceError(ImageReferenceErrorKind.Empty, "invalid reference: empty");
            return false;
        }

        result = ImageReferenceParser.Parse(reference, out error);
        return result is not null;
    }

    // True when tag matches Docker's tag grammar [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
    public static bool IsValidTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        return ReferenceGrammar.IsTag(tag);
    }

    // True when Parse would accept digest after '@': the reference grammar and go-digest both
    // agree (sha256/sha384/sha512 with 64/96/128 lowercase hex characters).
    public static bool IsValidDigest(string digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        return ImageReferenceParser.IsValidDigest(digest);
    }

    // Same reference with its tag replaced (any digest is kept, as Docker's WithTag does).
    public ImageReference WithTag(string tag)
    {
        ArgumentNullException.ThrowIfNull(tag);
        if (!ReferenceGrammar.IsTag(tag))
        {
            throw new ImageReferenceException(new ImageReferenceError(
                ImageReferenceErrorKind.InvalidTag, ImageReferenceParser.DescribeTagProblem(tag)));
        }

        return new ImageReference(Registry, Repository, tag, Digest);
    }

    // Same reference with its digest replaced (any tag is kept). Stricter than Docker's WithDigest,
    // which checks only the grammar: the digest must also pass go-digest, so that Canonical always
    // parses back to an equal reference.
    public ImageReference WithDigest(string digest)
    {
        ArgumentNullException.ThrowIfNull(digest);
        if (!ImageReferenceParser.IsValidDigest(digest))
        {
            (ImageReferenceErrorKind kind, string reason) = ImageReferenceParser.DescribeDigestProblem(digest);
            throw new ImageReferenceException(new ImageReferenceError(kind, reason));
        }

        return new ImageReference(Registry, Repository, Tag, digest);
    }

    public override string ToString() => Canonical;
}
