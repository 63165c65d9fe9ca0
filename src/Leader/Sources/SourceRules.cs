using Cluster.Leader.Apps;
using Cluster.Leader.Storage;

namespace Cluster.Leader.Sources;

// Which deployments take an uploaded folder: exactly the apps created with `--from-dir`, and
// only with one. The refusals say what to run instead.
public static class SourceRules
{
    // Null when `app` takes uploads; else why not, with the command that deploys it.
    public static string? UploadRefusal(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Source switch
        {
            AppSources.Dir => null,
            AppSources.Git => $"app '{app.Name}' is built from Git ({app.GitUrl}), not from a folder: `--from-dir` is only for apps created with `clusterctl app create NAME --from-dir`. Deploy it with `clusterctl deploy {app.Name}` (the build server fetches the source)",
            _ => $"app '{app.Name}' runs the image {app.Image}, not a folder: `--from-dir` is only for apps created with `clusterctl app create NAME --from-dir`. Deploy it with `clusterctl deploy {app.Name} [--tag TAG]`",
        };
    }

    // Null when a deployment of `app` may start without an upload.
    public static string? MissingUpload(AppRecord app)
    {
        ArgumentNullException.ThrowIfNull(app);
        return app.Source == AppSources.Dir
            ? $"app '{app.Name}' is built from a folder sent at deploy time: deploy it with `clusterctl deploy {app.Name} --from-dir PATH` (PATH: the folder holding the Dockerfile, on the machine where clusterctl runs)"
            : null;
    }
}
