using System.CommandLine;
using Grpc.Core;

namespace Cluster.Cli.Connection;

// Runs one command against the leader: opens the connection from the global options, and turns
// every failure into one line on stderr and exit code 1 (never a stack trace).
internal static class LeaderCall
{
    public static async Task<int> RunAsync(ParseResult parse, TextWriter stderr, Func<AdminConnection, Task<int>> action)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(action);
        AdminConnection? connection = null;
        try
        {
            var leader = parse.GetValue(GlobalOptions.Leader);
            var token = parse.GetValue(GlobalOptions.Token);
            if (string.IsNullOrWhiteSpace(leader) || string.IsNullOrWhiteSpace(token))
            {
                var (configLeader, configToken) = ClientConfig.Load();
                leader = string.IsNullOrWhiteSpace(leader) ? configLeader : leader;
                token = string.IsNullOrWhiteSpace(token) ? configToken : token;
            }

            connection = AdminConnection.Open(leader, token);
            return await action(connection);
        }
        catch (CliException e)
        {
            await stderr.WriteLineAsync($"clusterctl: {e.Message}");
            return 1;
        }
        catch (RpcException e)
        {
            await stderr.WriteLineAsync($"clusterctl: {connection?.Describe(e) ?? e.Status.Detail}");
            return 1;
        }
        finally
        {
            connection?.Dispose();
        }
    }
}
