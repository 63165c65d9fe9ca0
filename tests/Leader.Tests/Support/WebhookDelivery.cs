using System.Net;
using System.Net.Http.Headers;

namespace Cluster.Leader.Tests.Support;

// A registry's notification envelope with no events, POSTed with a bearer secret to a webhook
// URL. waitForListener: retried while the listener (started after the admin API) is not yet
// accepting connections, for up to 20 s.
public static class WebhookDelivery
{
    public static async Task<HttpStatusCode> PostAsync(HttpClient http, string url, string secret, bool waitForListener = false)
    {
        ArgumentNullException.ThrowIfNull(http);
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, url) { Content = new StringContent("""{"events":[]}""") };
            request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/vnd.docker.distribution.events.v1+json");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", secret);
            try
            {
                using var response = await http.SendAsync(request);
                return response.StatusCode;
            }
            catch (HttpRequestException) when (waitForListener && DateTime.UtcNow < until)
            {
                await Task.Delay(200);
            }
        }
    }
}
