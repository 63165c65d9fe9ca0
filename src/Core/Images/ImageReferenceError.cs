namespace Cluster.Core.Images;

// Why a reference was rejected: a machine-readable kind plus a one-line message naming the
// offending part, e.g. `invalid reference "nginx:": tag is empty`.
public sealed record ImageReferenceError(ImageReferenceErrorKind Kind, string Message);
