namespace Cluster.Core.Images;

// Which part of an image reference is wrong. Stable for callers to switch on; the message that
// travels with it is for people.
public enum ImageReferenceErrorKind
{
    // The input is the empty string.
    Empty,

    // Structurally malformed in a way no single part explains (for example two '@').
    InvalidFormat,

    // The repository path contains uppercase letters (Docker's "repository name must be lowercase").
    NameNotLowercase,

    // The repository path, after normalization, is longer than 255 characters.
    NameTooLong,

    // The whole input is 64 lowercase hex characters: an image ID, not a repository name.
    NameIsHexDigest,

    // The registry host (first component, when Docker treats it as one) is malformed.
    InvalidDomain,

    // A repository path component is malformed, or the repository name is missing.
    InvalidPath,

    // The tag is empty or not [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
    InvalidTag,

    // The digest is not algorithm:hex, or its hex has the wrong length or case for the algorithm.
    InvalidDigest,

    // The digest is well formed but its algorithm is not sha256, sha384 or sha512.
    UnsupportedDigestAlgorithm,
}
