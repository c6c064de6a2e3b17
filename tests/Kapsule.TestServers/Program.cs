using System;
using System.Collections.Generic;
using System.Diagnostics;
using System.Globalization;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.TestServers;

/// <summary>
/// Entry point. Subcommands:
///   token --port 0 --cert-out issuer.pem --issuer NAME --service NAME --user U --password P [--anonymous-pull] [--ttl 300]
///   proxy --port 0 --target http://127.0.0.1:5000 [--fail-every N] [--drop-every M] [--seed S]
///         [--cut-after-bytes N --cut-count K] [--match REGEX] [--retry-after 0]
/// Common: --parent-pid PID (exit when that process is gone).
/// When ready, prints exactly one line "LISTENING http://127.0.0.1:PORT" to stdout.
/// </summary>
internal static class Program
{
    private static async Task<int> Main(string[] args)
    {
        if (args.Length == 0)
        {
            Console.Error.WriteLine("usage: Kapsule.TestServers token|proxy [--option value]...");
            return 2;
        }

        Options options;
        try
        {
            options = Options.Parse(args, 1);
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }

        WatchParent(options);
        try
        {
            switch (args[0])
            {
                case "token":
                    return await TokenServer.RunAsync(options).ConfigureAwait(false);
                case "proxy":
                    return await FaultProxy.RunAsync(options).ConfigureAwait(false);
                default:
                    Console.Error.WriteLine("unknown subcommand: " + args[0]);
                    return 2;
            }
        }
        catch (ArgumentException ex)
        {
            Console.Error.WriteLine(ex.Message);
            return 2;
        }
    }

    /// <summary>Exits when the parent (the test process) is gone, so nothing outlives a crashed test run.</summary>
    private static void WatchParent(Options options)
    {
        int pid = options.GetInt("parent-pid", 0);
        if (pid <= 0)
        {
            return;
        }

        var thread = new Thread(() =>
        {
            while (true)
            {
                bool alive;
                try
                {
                    using Process p = Process.GetProcessById(pid);
                    alive = !p.HasExited;
                }
                catch (ArgumentException)
                {
                    alive = false;
                }
                catch (InvalidOperationException)
                {
                    alive = false;
                }

                if (!alive)
                {
                    Environment.Exit(0);
                }

                Thread.Sleep(1000);
            }
        })
        { IsBackground = true, Name = "parent-watch" };
        thread.Start();
    }
}

internal sealed class Options
{
    private readonly Dictionary<string, string?> values = new(StringComparer.Ordinal);

    public static Options Parse(string[] args, int start)
    {
        var o = new Options();
        for (int i = start; i < args.Length; i++)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal))
            {
                throw new ArgumentException("unexpected argument: " + a);
            }

            string key = a.Substring(2);
            string? value = null;
            if (i + 1 < args.Length && !args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = args[++i];
            }

            o.values[key] = value;
        }

        return o;
    }

    public bool Has(string key) => values.ContainsKey(key);

    public string? Get(string key) => values.TryGetValue(key, out string? v) ? v : null;

    public string Require(string key) => Get(key) ?? throw new ArgumentException("missing --" + key);

    public int GetInt(string key, int fallback) => (int)GetLong(key, fallback);

    public long GetLong(string key, long fallback)
    {
        string? v = Get(key);
        if (v is null)
        {
            return fallback;
        }

        if (!long.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out long r))
        {
            throw new ArgumentException("--" + key + " expects an integer, got " + v);
        }

        return r;
    }
}
