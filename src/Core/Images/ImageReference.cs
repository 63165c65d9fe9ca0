namespace Cluster.Core.Images;

// Placeholder replaced by the reference parser.
public sealed record ImageReference;
