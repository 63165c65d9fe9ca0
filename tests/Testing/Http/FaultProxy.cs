using System.Net;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Cluster.Testing.Http;

// A small reverse proxy in front of a REAL server (a lab registry), for behaviours the real
// server will not produce on demand: HEAD refused, 429 with Retry-After, 503, connections
// dropped, Docker-Content-Digest removed or falsified (see FaultRule). Everything else is
// forwarded as is: method, path, query, headers (the client's Host too, so the registry's
// Location headers point back at the proxy), body; the answer's status, headers and body come
// back unchanged, without redirects followed or content decoded. Plain HTTP on
// listenAddress (default 127.0.0.1, which registry clients treat as a plain-HTTP host) and a free
// port. Every request is recorded (Requests). Dispose stops it.
public sealed class FaultProxy : IAsyncDisposable
{
    private static readonly HashSet<string> HopByHop = new(StringComparer.OrdinalIgnoreCase)
    {
        "Connection", "Keep-Alive", "Transfer-Encoding", "TE", "Trailer", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization", "Host",
    };

    private readonly WebApplication _app;
    private readonly HttpClient _upstream;
    private readonly List<FaultRule> _rules = [];
    private readonly List<ProxiedRequest> _requests = [];

    private FaultProxy(WebApplication app, HttpClient upstream, Uri upstreamUri)
    {
        _app = app;
        _upstream = upstream;
        Upstream = upstreamUri;
    }

    public Uri Upstream { get; }

    public IPAddress Address { get; private set; } = IPAddress.Loopback;

    public int Port { get; private set; }

    // "127.0.0.1:<port>": the proxy as a registry host.
    public string Host => Address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{Address}]:{Port}" : $"{Address}:{Port}";

    public Uri Url => new($"http://{Host}/");

    public IReadOnlyList<ProxiedRequest> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    // upstream: the real server's base URI, e.g. http://10.77.0.254:5000/. port 0: any free one.
    public static async Task<FaultProxy> StartAsync(Uri upstream, IPAddress? listenAddress = null, int port = 0)
    {
        ArgumentNullException.ThrowIfNull(upstream);
        var address = listenAddress ?? IPAddress.Loopback;
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(k => k.Listen(address, port));
        var app = builder.Build();
        var client = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            AutomaticDecompression = DecompressionMethods.None,
            UseCookies = false,
            ConnectTimeout = TimeSpan.FromSeconds(5),
        }) { Timeout = TimeSpan.FromMinutes(2) };
        var proxy = new FaultProxy(app, client, upstream);
        app.Run(proxy.HandleAsync);
        await app.StartAsync();
        var bound = new Uri(app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());
        proxy.Address = address;
        proxy.Port = bound.Port;
        return proxy;
    }

    // Rules are tried in the order added; the first that matches (and has tries left) fires.
    public FaultProxy Add(FaultRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        lock (_rules)
        {
            _rules.Add(rule);
        }

        return this;
    }

    public void ClearRules()
    {
        lock (_rules)
        {
            _rules.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        _upstream.Dispose();
    }

    private async Task HandleAsync(HttpContext context)
    {
        var method = context.Request.Method;
        var path = context.Request.Path.Value + context.Request.QueryString.Value;
        var hadAuthorization = context.Request.Headers.Authorization.Count > 0;
        FaultRule? rule;
        lock (_rules)
        {
            rule = _rules.FirstOrDefault(r => r.TryTake(method, path));
        }

        if (rule is { Abort: true })
        {
            Record(new ProxiedRequest(method, path, hadAuthorization, 0, rule.Name));
            context.Abort();
            return;
        }

        if (rule is { Status: { } status })
        {
            context.Response.StatusCode = status;
            foreach (var (name, value) in rule.Headers)
            {
                context.Response.Headers[name] = value;
            }

            Record(new ProxiedRequest(method, path, hadAuthorization, status, rule.Name));
            if (rule.Body is not null && method != "HEAD")
            {
                await context.Response.WriteAsync(rule.Body, Encoding.UTF8, context.RequestAborted);
            }

            return;
        }

        using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Upstream, path));
        var hasBody = context.Request.ContentLength > 0 || context.Request.Headers.TransferEncoding.Count > 0;
        if (hasBody)
        {
            request.Content = new StreamContent(context.Request.Body);
        }
        else if (method is "POST" or "PUT" or "PATCH")
        {
            request.Content = new ByteArrayContent([]);
        }

        foreach (var (name, values) in context.Request.Headers)
        {
            if (HopByHop.Contains(name))
            {
                continue;
            }

            if (!request.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values) && request.Content is not null)
            {
                request.Content.Headers.TryAddWithoutValidation(name, (IEnumerable<string?>)values);
            }
        }

        request.Headers.Host = context.Request.Host.Value;
        using var response = await _upstream.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, context.RequestAborted);
        context.Response.StatusCode = (int)response.StatusCode;
        var headers = new HeaderDictionary();
        foreach (var (name, values) in response.Headers.NonValidated.Concat(response.Content.Headers.NonValidated))
        {
            if (!HopByHop.Contains(name))
            {
                headers[name] = values.ToArray();
            }
        }

        rule?.Rewrite?.Invoke(headers);
        foreach (var (name, values) in headers)
        {
            context.Response.Headers[name] = values;
        }

        Record(new ProxiedRequest(method, path, hadAuthorization, (int)response.StatusCode, rule?.Name));
        if (method != "HEAD")
        {
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        }
    }

    private void Record(ProxiedRequest request)
    {
        lock (_requests)
        {
            _requests.Add(request);
        }
    }
}
