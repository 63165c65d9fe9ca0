using Cluster.Lab.Tests.Fixture;
using Cluster.Testing;

namespace Cluster.Lab.Tests.Leader;

// Users of the lab's htpasswd registry. Each test makes its own user, so rotating a password
// never disturbs another test; the registry re-reads the file on change.
public static class Htpasswd
{
    public static async Task SetAsync(LabEnvironment env, string user, string password)
    {
        ArgumentNullException.ThrowIfNull(env);
        var result = await ProcessRunner.RunAsync("sh", ["-c", $"printf '%s\\n' \"$PW\" | htpasswd -iB {env.RegistryHtpasswd} {user}"], TimeSpan.FromSeconds(30),
            new Dictionary<string, string> { ["PW"] = password });
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"htpasswd failed: {result.Output}");
        }

        // distribution re-reads the htpasswd file when it changes; wait until it takes the new
        // password, bounded.
        using var http = new HttpClient();
        var auth = Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));
        for (var i = 0; i < 100; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"http://{env.Registry}/v2/");
            request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Basic", auth);
            using var response = await http.SendAsync(request);
            if (response.IsSuccessStatusCode)
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new InvalidOperationException($"the registry did not accept the new password of {user}");
    }
}
