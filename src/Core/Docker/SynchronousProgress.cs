namespace Cluster.Core.Docker;

// IProgress that runs the callback on the reporting thread. Progress<T> posts to the thread
// pool, so its callbacks can arrive after the Docker call returned, and an error in the final
// message of a stream would be seen too late or not at all.
public sealed class SynchronousProgress<T>(Action<T> onReport) : IProgress<T>
{
    public void Report(T value) => onReport(value);
}
