namespace Cluster.Leader.Deployments;

// The order of the deployment steps. Spaced by 100 so a new step slots in between without
// renumbering the others.
public static class StepOrder
{
    // Produces the image (repo:tag) and its digest from source; sets context.Image and Digest.
    public const int Build = 100;

    public const int Resolve = 200;

    public const int Place = 300;

    public const int PrePull = 400;

    public const int Rollout = 500;

    public const int Confirm = 600;
}
