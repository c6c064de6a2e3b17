using System;
using System.Net;
using System.Text.Json;

namespace Kapsule.Registry
{
    public static class RegistryErrorIds
    {
        public const string AuthenticationFailed = "KapsuleAuthenticationFailed";
        public const string AccessDenied = "KapsuleAccessDenied";
        public const string ManifestNotFound = "KapsuleManifestNotFound";
        public const string RepositoryNotFound = "KapsuleRepositoryNotFound";
        public const string BlobNotFound = "KapsuleRegistryBlobNotFound";
        public const string RegistryError = "KapsuleRegistryError";
        public const string Unreachable = "KapsuleRegistryUnreachable";
        public const string TlsUntrusted = "KapsuleTlsUntrusted";
        public const string InsecureCredentials = "KapsuleInsecureCredentials";
        public const string ManifestTooLarge = "KapsuleManifestTooLarge";
        public const string Unsupported = "KapsuleRegistryUnsupported";
    }

    internal static class RegistryErrors
    {
        /// <summary>The first error of a distribution-spec error body: {"errors":[{"code","message","detail"}]}.</summary>
        public static (string? Code, string? Message) ParseBody(string? body)
        {
            if (string.IsNullOrWhiteSpace(body)) return (null, null);
            try
            {
                using var doc = JsonDocument.Parse(body!);
                if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                    doc.RootElement.TryGetProperty("errors", out var errors) &&
                    errors.ValueKind == JsonValueKind.Array)
                {
                    foreach (var e in errors.EnumerateArray())
                    {
                        string? code = e.TryGetProperty("code", out var c) && c.ValueKind == JsonValueKind.String ? c.GetString() : null;
                        string? message = e.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
                        return (code, message);
                    }
                }
            }
            catch (JsonException)
            {
            }
            var text = body!.Trim();
            return (null, text.Length > 200 ? text.Substring(0, 200) + "..." : text);
        }

        public static KapsuleException FromResponse(HttpStatusCode status, string? body, string what, string target)
        {
            var (code, message) = ParseBody(body);
            string detail = code != null ? $"{code}: {message}" : message ?? string.Empty;
            int s = (int)status;
            string suffix = detail.Length > 0 ? $" The registry said: {detail}" : string.Empty;
            switch (s)
            {
                case 401:
                    return new KapsuleException(RegistryErrorIds.AuthenticationFailed, KapsuleErrorKind.AuthenticationError,
                        $"{what}: the registry refused the credentials (401).{suffix} Check the user name and password, or log in with Connect-KapsuleRegistry.")
                    { Target = target };
                case 403:
                    return new KapsuleException(RegistryErrorIds.AccessDenied, KapsuleErrorKind.PermissionDenied,
                        $"{what}: access denied (403).{suffix} The account lacks permission for this repository.")
                    { Target = target };
                case 404:
                    if (code == "BLOB_UNKNOWN" || code == "BLOB_UPLOAD_UNKNOWN" || code == "BLOB_UPLOAD_INVALID")
                        return new KapsuleException(RegistryErrorIds.BlobNotFound, KapsuleErrorKind.ObjectNotFound, $"{what}: the blob is not in the registry.{suffix}") { Target = target };
                    if (code == "NAME_UNKNOWN")
                        return new KapsuleException(RegistryErrorIds.RepositoryNotFound, KapsuleErrorKind.ObjectNotFound, $"{what}: the repository does not exist.{suffix}") { Target = target };
                    return new KapsuleException(RegistryErrorIds.ManifestNotFound, KapsuleErrorKind.ObjectNotFound,
                        $"{what}: not found (404).{suffix} Check the repository name and tag.")
                    { Target = target };
                default:
                    return new KapsuleException(RegistryErrorIds.RegistryError,
                        s >= 500 ? KapsuleErrorKind.ResourceUnavailable : KapsuleErrorKind.ProtocolError,
                        $"{what}: the registry answered {s} {status}.{suffix}")
                    { Target = target };
            }
        }
    }
}
