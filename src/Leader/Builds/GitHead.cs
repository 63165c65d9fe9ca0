namespace Cluster.Leader.Builds;

// A branch head read by a build server: the full commit SHA when Ok, else what failed.
public sealed record GitHead(bool Ok, string Commit, string Error)
{
    public static GitHead Failed(string error) => new(false, "", error);
}
