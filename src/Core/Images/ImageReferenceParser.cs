namespace Cluster.Core.Images;

// Docker's ParseNormalizedNamed (github.com/distribution/reference v0.6.0, normalize.go and
// reference.go, with go-digest v1.0.0 digest validation), without ParseDockerRef's implicit
// ":latest". Which inputs are accepted, and the domain/path/tag/digest produced, follow that
// code step for step:
//   1. a 64-lowercase-hex string is refused as a name (it is an image ID);
//   2. splitDockerDomain picks the registry: the first '/'-separated component is a host only if
//      it is "localhost", contains '.' or ':', or contains an uppercase letter; otherwise the
//      registry is docker.io. "index.docker.io" becomes "docker.io", and a single-component
//      docker.io path gets "library/";
//   3. the repository path (up to the tag or digest) must not contain uppercase letters;
//   4. "<domain>/<remainder>" must match the reference grammar; the host/path split of the name
//      is then recomputed by that grammar, so a first component that is not a valid host (e.g.
//      "foo_bar.com") but is a valid path component leaves the registry empty, exactly as Docker;
//   5. the path (not the host) is at most 255 characters;
//   6. the digest must pass go-digest: sha256/sha384/sha512 with 64/96/128 lowercase hex.
// Only the error messages differ from Docker's: when Docker says "invalid reference format" we
// re-examine the input to name the broken part. That diagnosis never changes the verdict.
internal static class ImageReferenceParser
{
    public const string DefaultDomain = "docker.io";
    public const string LegacyDefaultDomain = "index.docker.io";
    public const string OfficialRepoPrefix = "library/";
    private const string Localhost = "localhost";

    public static ImageReference? Parse(string input, out ImageReferenceError? error)
    {
        ArgumentNullException.ThrowIfNull(input);
        error = null;

        if (input.Length == 0)
        {
            error = new ImageReferenceError(ImageReferenceErrorKind.Empty, "invalid reference: empty");
            return null;
        }

        if (ReferenceGrammar.IsHexIdentifier(input))
        {
            error = Fail(input, ImageReferenceErrorKind.NameIsHexDigest,
                "a 64-character hexadecimal string is an image ID, not a repository name");
            return null;
        }

        (string domain, string remainder, string? explicitHost) = SplitDockerDomain(input);

        // Docker lowercases remainder[..first ':'] and compares. We stop at '@' as well, so that an
        // uppercase digest algorithm is reported as a digest problem; anything uppercase between
        // '@' and ':' is rejected by go-digest anyway, so the verdict is the same.
        int pathEnd = remainder.AsSpan().IndexOfAny(':', '@');
        string remotePath = pathEnd < 0 ? remainder : remainder[..pathEnd];
        if (HasUppercase(remotePath))
        {
            error = NotLowercase(input, remotePath);
            return null;
        }

        string full = domain + "/" + remainder;
        if (!TryMatchReference(full, out string name, out string? tag, out string? digest))
        {
            string lowered = full.ToLowerInvariant();
            if (!string.Equals(lowered, full, StringComparison.Ordinal) && TryMatchReference(lowered, out _, out _, out _))
            {
                error = NotLowercase(input, explicitHost ?? remotePath);
                return null;
            }

            error = Diagnose(input, explicitHost);
            return null;
        }

        (string registry, string path) = SplitName(name);
        if (path.Length > ReferenceGrammar.MaxPathLength)
        {
            error = Fail(input, ImageReferenceErrorKind.NameTooLong,
                $"repository path is {path.Length} characters long (\"{MessageText.Quote(path)}\"); at most {ReferenceGrammar.MaxPathLength} are allowed");
            return null;
        }

        if (digest is not null && !IsAcceptedByGoDigest(digest))
        {
            (ImageReferenceErrorKind kind, string reason) = DescribeDigestProblem(digest);
            error = Fail(input, kind, reason);
            return null;
        }

        return new ImageReference(registry, path, tag, digest);
    }

    // splitDockerDomain from normalize.go. explicitHost is the first component when it was taken
    // as a registry host (before "index.docker.io" is rewritten), for error messages only.
    internal static (string Domain, string Remainder, string? ExplicitHost) SplitDockerDomain(string name)
    {
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            // Docker never treats a lone component as a host: "localhost" and "example.com"
            // alone are Docker Hub repositories, "localhost:5000" is "localhost" tagged "5000".
            return (DefaultDomain, OfficialRepoPrefix + name, null);
        }

        string maybeDomain = name[..slash];
        string maybeRemote = name[(slash + 1)..];
        string domain;
        string remote;
        string? explicitHost = maybeDomain;
        if (string.Equals(maybeDomain, Localhost, StringComparison.Ordinal))
        {
            (domain, remote) = (maybeDomain, maybeRemote);
        }
        else if (string.Equals(maybeDomain, LegacyDefaultDomain, StringComparison.Ordinal))
        {
            (domain, remote) = (DefaultDomain, maybeRemote);
        }
        else if (maybeDomain.AsSpan().IndexOfAny('.', ':') >= 0 || HasUppercase(maybeDomain))
        {
            // Namespaces on Docker Hub are lowercase, so an uppercase first component is taken as
            // a host ("Foo/bar" is registry "Foo", repository "bar").
            (domain, remote) = (maybeDomain, maybeRemote);
        }
        else
        {
            (domain, remote, explicitHost) = (DefaultDomain, name, null);
        }

        if (string.Equals(domain, DefaultDomain, StringComparison.Ordinal) && !remote.Contains('/', StringComparison.Ordinal))
        {
            remote = OfficialRepoPrefix + remote;
        }

        return (domain, remote, explicitHost);
    }

    // reference := name [ ":" tag ] [ "@" digest ], anchored. Neither tag nor digest may contain
    // '@' or '/', and a name contains ':' only inside its host (which a '/' follows), so the split
    // is unique: digest after the only '@', tag after a ':' that no '/' follows.
    internal static bool TryMatchReference(string s, out string name, out string? tag, out string? digest)
    {
        name = string.Empty;
        tag = null;
        digest = null;

        ReadOnlySpan<char> nameAndTag = s;
        int at = s.IndexOf('@', StringComparison.Ordinal);
        if (at >= 0)
        {
            ReadOnlySpan<char> digestSpan = s.AsSpan(at + 1);
            if (!ReferenceGrammar.IsReferenceDigestSyntax(digestSpan))
            {
                return false;
            }

            nameAndTag = s.AsSpan(0, at);
            digest = digestSpan.ToString();
        }

        int lastColon = nameAndTag.LastIndexOf(':');
        if (lastColon > nameAndTag.LastIndexOf('/'))
        {
            ReadOnlySpan<char> tagSpan = nameAndTag[(lastColon + 1)..];
            if (!ReferenceGrammar.IsTag(tagSpan))
            {
                return false;
            }

            tag = tagSpan.ToString();
            nameAndTag = nameAndTag[..lastColon];
        }

        if (!IsName(nameAndTag))
        {
            return false;
        }

        name = nameAndTag.ToString();
        return true;
    }

    // name := [ domain "/" ] remote-name
    private static bool IsName(ReadOnlySpan<char> s)
    {
        int slash = s.IndexOf('/');
        if (slash >= 0 && ReferenceGrammar.IsDomain(s[..slash]) && ReferenceGrammar.IsRemoteName(s[(slash + 1)..]))
        {
            return true;
        }

        return ReferenceGrammar.IsRemoteName(s);
    }

    // The anchored name regexp prefers taking the first component as the host; when that does not
    // fit, the whole name is the path and the domain is empty.
    internal static (string Domain, string Path) SplitName(string name)
    {
        int slash = name.IndexOf('/', StringComparison.Ordinal);
        if (slash >= 0 && ReferenceGrammar.IsDomain(name.AsSpan(0, slash)) && ReferenceGrammar.IsRemoteName(name.AsSpan(slash + 1)))
        {
            return (name[..slash], name[(slash + 1)..]);
        }

        return (string.Empty, name);
    }

    // go-digest v1.0.0 Digest.Validate, for a digest that already matched the reference grammar.
    internal static bool IsAcceptedByGoDigest(string digest)
    {
        int colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == digest.Length - 1)
        {
            return false;
        }

        ReadOnlySpan<char> algorithm = digest.AsSpan(0, colon);
        ReadOnlySpan<char> encoded = digest.AsSpan(colon + 1);
        int hexLength = ReferenceGrammar.RegisteredHexLength(algorithm);
        return hexLength > 0 && encoded.Length == hexLength && ReferenceGrammar.IsLowerHexString(encoded);
    }

    // Full acceptance test for a stand-alone digest (WithDigest): the reference grammar and go-digest.
    internal static bool IsValidDigest(string digest) =>
        ReferenceGrammar.IsReferenceDigestSyntax(digest) && IsAcceptedByGoDigest(digest);

    internal static (ImageReferenceErrorKind Kind, string Reason) DescribeDigestProblem(ReadOnlySpan<char> digest)
    {
        const string Supported = "supported: sha256, sha384, sha512";
        string quoted = MessageText.Quote(digest);
        if (digest.IsEmpty)
        {
            return (ImageReferenceErrorKind.InvalidDigest, "digest is empty");
        }

        int colon = digest.IndexOf(':');
        if (colon < 0)
        {
            return (ImageReferenceErrorKind.InvalidDigest,
                $"invalid digest \"{quoted}\": must be <algorithm>:<hex>, e.g. sha256: followed by 64 hex characters");
        }

        ReadOnlySpan<char> algorithm = digest[..colon];
        ReadOnlySpan<char> encoded = digest[(colon + 1)..];
        if (algorithm.IsEmpty)
        {
            return (ImageReferenceErrorKind.InvalidDigest, $"invalid digest \"{quoted}\": the algorithm before ':' is missing");
        }

        int hexLength = ReferenceGrammar.RegisteredHexLength(algorithm);
        if (hexLength > 0)
        {
            if (encoded.Length != hexLength || !ReferenceGrammar.IsLowerHexString(encoded))
            {
                string detail = encoded.Length != hexLength
                    ? $"{algorithm} digest must be {hexLength} hex characters, not {encoded.Length}"
                    : $"{algorithm} digest must be {hexLength} lowercase hex characters (0-9, a-f)";
                return (ImageReferenceErrorKind.InvalidDigest, $"invalid digest \"{quoted}\": {detail}");
            }

            return (ImageReferenceErrorKind.InvalidDigest, $"invalid digest \"{quoted}\"");
        }

        string lowered = algorithm.ToString().ToLowerInvariant();
        if (ReferenceGrammar.RegisteredHexLength(lowered) > 0)
        {
            return (ImageReferenceErrorKind.InvalidDigest,
                $"invalid digest \"{quoted}\": the digest algorithm must be lowercase (\"{lowered}\")");
        }

        if (!ReferenceGrammar.IsReferenceDigestAlgorithm(algorithm) || !ReferenceGrammar.IsGoDigestAlgorithm(algorithm))
        {
            return (ImageReferenceErrorKind.InvalidDigest,
                $"invalid digest \"{quoted}\": malformed digest algorithm \"{MessageText.Quote(algorithm)}\" ({Supported})");
        }

        return (ImageReferenceErrorKind.UnsupportedDigestAlgorithm,
            $"invalid digest \"{quoted}\": unsupported digest algorithm \"{MessageText.Quote(algorithm)}\" ({Supported})");
    }

    internal static string DescribeTagProblem(ReadOnlySpan<char> tag) =>
        tag.IsEmpty ? "tag is empty" : $"invalid tag \"{MessageText.Quote(tag)}\": {ReferenceGrammar.TagRule}";

    // Runs only after the exact check has failed with Docker's "invalid reference format"; names
    // the first broken part, reading left to right (host, path, tag, digest).
    private static ImageReferenceError Diagnose(string input, string? explicitHost)
    {
        ReadOnlySpan<char> rest = input;
        if (input.Contains("://", StringComparison.Ordinal))
        {
            return Fail(input, ImageReferenceErrorKind.InvalidFormat,
                "an image reference has no URL scheme; remove the \"scheme://\" prefix");
        }

        if (explicitHost is not null)
        {
            // A first component that is not a valid host but is a valid path component is
            // accepted by Docker as part of the path, so it is not the culprit.
            if (ReferenceGrammar.DomainProblem(explicitHost) is { } hostProblem
                && ReferenceGrammar.PathComponentProblem(explicitHost) is not null)
            {
                return Fail(input, ImageReferenceErrorKind.InvalidDomain,
                    $"invalid registry host \"{MessageText.Quote(explicitHost)}\": {hostProblem}");
            }

            rest = rest[(explicitHost.Length + 1)..];
        }

        ReadOnlySpan<char> nameAndTag = rest;
        ReadOnlySpan<char> digest = default;
        int at = rest.IndexOf('@');
        bool hasDigest = at >= 0;
        if (hasDigest)
        {
            nameAndTag = rest[..at];
            digest = rest[(at + 1)..];
            if (digest.Contains('@'))
            {
                return Fail(input, ImageReferenceErrorKind.InvalidFormat, "'@' may appear only once, before the digest");
            }
        }

        ReadOnlySpan<char> path = nameAndTag;
        ReadOnlySpan<char> tag = default;
        int lastColon = nameAndTag.LastIndexOf(':');
        bool hasTag = lastColon > nameAndTag.LastIndexOf('/');
        if (hasTag)
        {
            path = nameAndTag[..lastColon];
            tag = nameAndTag[(lastColon + 1)..];
        }

        if (explicitHost is null && path.StartsWith("[", StringComparison.Ordinal) && !path.Contains('/'))
        {
            return Fail(input, ImageReferenceErrorKind.InvalidPath,
                "a registry host must be followed by '/' and a repository path");
        }

        if (path.Contains(':'))
        {
            return Fail(input, ImageReferenceErrorKind.InvalidPath,
                $"unexpected ':' in repository path \"{MessageText.Quote(path)}\"; a tag follows a single ':' after the last '/', and a registry port must be followed by '/'");
        }

        if (ReferenceGrammar.RemoteNameProblem(path) is { } pathProblem)
        {
            return Fail(input, ImageReferenceErrorKind.InvalidPath, pathProblem);
        }

        if (hasTag && !ReferenceGrammar.IsTag(tag))
        {
            return Fail(input, ImageReferenceErrorKind.InvalidTag, DescribeTagProblem(tag));
        }

        if (hasDigest && !IsValidDigest(digest.ToString()))
        {
            (ImageReferenceErrorKind kind, string reason) = DescribeDigestProblem(digest);
            return Fail(input, kind, reason);
        }

        return Fail(input, ImageReferenceErrorKind.InvalidFormat, "invalid reference format");
    }

    private static ImageReferenceError NotLowercase(string input, string where)
    {
        string culprit = where;
        foreach (string component in where.Split('/'))
        {
            if (HasUppercase(component))
            {
                culprit = component;
                break;
            }
        }

        return Fail(input, ImageReferenceErrorKind.NameNotLowercase,
            $"repository name must be lowercase (\"{MessageText.Quote(culprit)}\")");
    }

    private static bool HasUppercase(string s) =>
        !string.Equals(s.ToLowerInvariant(), s, StringComparison.Ordinal);

    private static ImageReferenceError Fail(string input, ImageReferenceErrorKind kind, string reason) =>
        new(kind, $"invalid reference \"{MessageText.Quote(input)}\": {reason}");
}
