namespace Cluster.Leader.Storage;

// The one mapping between the deployment enums and their words. The words are the public
// interface (clusterctl JSON) and the on-disk form, so they never change; an unknown word read
// back from disk is a bug, not user input, and throws.
public static class StatusWords
{
    public static string ToWord(this DeploymentStatus status) => status switch
    {
        DeploymentStatus.Running => "running",
        DeploymentStatus.Succeeded => "succeeded",
        DeploymentStatus.Failed => "failed",
        DeploymentStatus.RolledBack => "rolled-back",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string ToWord(this StepStatus status) => status switch
    {
        StepStatus.Pending => "pending",
        StepStatus.Running => "running",
        StepStatus.Ok => "ok",
        StepStatus.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, null),
    };

    public static string ToWord(this DeploymentTrigger trigger) => trigger switch
    {
        DeploymentTrigger.Manual => "manual",
        DeploymentTrigger.AutoSync => "auto-sync",
        DeploymentTrigger.Webhook => "webhook",
        DeploymentTrigger.Migration => "migration",
        _ => throw new ArgumentOutOfRangeException(nameof(trigger), trigger, null),
    };

    public static DeploymentStatus ParseDeploymentStatus(string word) =>
        Enum.GetValues<DeploymentStatus>().FirstOrDefault(s => s.ToWord() == word, (DeploymentStatus)(-1)) is var s && Enum.IsDefined(s)
            ? s
            : throw new FormatException($"unknown deployment status '{word}'");

    public static StepStatus ParseStepStatus(string word) =>
        Enum.GetValues<StepStatus>().FirstOrDefault(s => s.ToWord() == word, (StepStatus)(-1)) is var s && Enum.IsDefined(s)
            ? s
            : throw new FormatException($"unknown step status '{word}'");

    // Records written before triggers existed were all manual.
    public static DeploymentTrigger ParseTrigger(string word) =>
        string.IsNullOrEmpty(word) ? DeploymentTrigger.Manual :
        Enum.GetValues<DeploymentTrigger>().FirstOrDefault(t => t.ToWord() == word, (DeploymentTrigger)(-1)) is var t && Enum.IsDefined(t)
            ? t
            : throw new FormatException($"unknown deployment trigger '{word}'");
}
