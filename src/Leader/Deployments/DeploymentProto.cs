using Cluster.Leader.Storage;
using Cluster.Protos.Admin.V1;
using Google.Protobuf.WellKnownTypes;

namespace Cluster.Leader.Deployments;

// Deployment records as the admin API shows them. Every status goes out twice, as the typed
// enum and as the word clusterctl's JSON has always printed.
public static class DeploymentProto
{
    public static Protos.Admin.V1.Deployment ToProto(DeploymentRecord r)
    {
        ArgumentNullException.ThrowIfNull(r);
        var d = new Protos.Admin.V1.Deployment
        {
            Id = r.Id,
            App = r.App,
            Status = r.Status.ToWord(),
            State = ToProto(r.Status),
            Trigger = ToProto(r.Trigger),
            Image = r.Image,
            Digest = r.Digest,
            PreviousDigest = r.PreviousDigest,
            StartedAt = Stamp(r.StartedAt),
            Error = r.Error,
            RequestedBy = r.RequestedBy,
        };
        if (r.FinishedAt is { } f)
        {
            d.FinishedAt = Stamp(f);
        }

        d.Steps.AddRange(r.Steps.Select(s =>
        {
            var step = new DeploymentStep { Name = s.Name, State = ToProto(s.Status), Status = s.Status.ToWord(), Error = s.Error };
            if (s.StartedAt is { } started)
            {
                step.StartedAt = Stamp(started);
            }

            if (s.FinishedAt is { } finished)
            {
                step.FinishedAt = Stamp(finished);
            }

            return step;
        }));
        d.Nodes.AddRange(r.Nodes.Select(ToProto));
        d.Log.AddRange(r.Log);
        if (r.Source.Length > 0)
        {
            d.Source = r.Source;
            d.SourceSha256 = r.SourceSha256;
            d.SourceBytes = r.SourceBytes;
            d.Build = new BuildInfo { Commit = r.Commit, Image = r.BuildImage, Digest = r.BuildDigest, Builder = r.Builder, Local = r.BuildLocal };
            d.Build.Log.AddRange(r.BuildLog);
        }

        return d;
    }

    public static NodeStep ToProto(NodeStepRecord n)
    {
        ArgumentNullException.ThrowIfNull(n);
        return new NodeStep { Node = n.Node, Step = n.Step, Status = n.Status.ToWord(), State = ToProto(n.Status), Error = n.Error };
    }

    public static DeploymentState ToProto(DeploymentStatus status) => status switch
    {
        DeploymentStatus.Running => DeploymentState.Running,
        DeploymentStatus.Succeeded => DeploymentState.Succeeded,
        DeploymentStatus.Failed => DeploymentState.Failed,
        DeploymentStatus.RolledBack => DeploymentState.RolledBack,
        _ => DeploymentState.Unspecified,
    };

    public static StepState ToProto(StepStatus status) => status switch
    {
        StepStatus.Pending => StepState.Pending,
        StepStatus.Running => StepState.Running,
        StepStatus.Ok => StepState.Ok,
        StepStatus.Failed => StepState.Failed,
        _ => StepState.Unspecified,
    };

    public static Protos.Admin.V1.DeploymentTrigger ToProto(Storage.DeploymentTrigger trigger) => trigger switch
    {
        Storage.DeploymentTrigger.Manual => Protos.Admin.V1.DeploymentTrigger.Manual,
        Storage.DeploymentTrigger.AutoSync => Protos.Admin.V1.DeploymentTrigger.AutoSync,
        Storage.DeploymentTrigger.Webhook => Protos.Admin.V1.DeploymentTrigger.Webhook,
        Storage.DeploymentTrigger.Migration => Protos.Admin.V1.DeploymentTrigger.Migration,
        _ => Protos.Admin.V1.DeploymentTrigger.Unspecified,
    };

    private static Timestamp Stamp(DateTime utc) => Timestamp.FromDateTime(DateTime.SpecifyKind(utc, DateTimeKind.Utc));
}
