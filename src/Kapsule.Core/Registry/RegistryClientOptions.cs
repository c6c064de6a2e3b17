using System;

namespace Kapsule.Registry
{
    /// <summary>How blobs are uploaded.</summary>
    public enum UploadMode
    {
        /// <summary>Monolithic PUT; falls back to chunked when the registry refuses a single large request.</summary>
        Auto,
        /// <summary>POST then one PUT with the whole blob.</summary>
        Monolithic,
        /// <summary>POST, PATCH per chunk, then PUT.</summary>
        Chunked,
    }

    public sealed class RegistryClientOptions
    {
        /// <summary>Where credentials come from (null: anonymous).</summary>
        public ICredentialProvider? Credentials { get; set; }

        /// <summary>Allow plain HTTP to any registry (loopback registries may always use it).</summary>
        public bool AllowInsecure { get; set; }

        /// <summary>Accept any TLS certificate. For tests and trusted networks only.</summary>
        public bool SkipCertificateCheck { get; set; }

        /// <summary>A PEM file of CA certificates to trust in addition to the system's.</summary>
        public string? CaFile { get; set; }

        public UploadMode UploadMode { get; set; } = UploadMode.Auto;

        /// <summary>Chunk size for chunked uploads (raised to the registry's OCI-Chunk-Min-Length).</summary>
        public long ChunkSize { get; set; } = 64L * 1024 * 1024;

        /// <summary>Attempts per request before a transient failure (429, 5xx, reset) is reported.</summary>
        public int MaxAttempts { get; set; } = 6;

        /// <summary>First retry delay; doubled each time with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
        public TimeSpan RetryDelay { get; set; } = TimeSpan.FromMilliseconds(250);

        public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(30);

        /// <summary>Layers transferred at once.</summary>
        public int MaxParallelTransfers { get; set; } = 3;

        /// <summary>Longest a registry may stay silent during a request before it is abandoned and retried.</summary>
        public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(5);

        /// <summary>Verbose messages. Never carries a secret.</summary>
        public Action<string>? Log { get; set; }

        public string UserAgent { get; set; } = "kapsule/0.1";
    }
}
