namespace Cluster.Core.Builds;

// A build context packed as a tar: how many entries it holds, its exact size in bytes and its
// sha256 (64 lowercase hex digits), which the receiving side checks again.
public sealed record PackedContext(int Entries, long Bytes, string Sha256);
