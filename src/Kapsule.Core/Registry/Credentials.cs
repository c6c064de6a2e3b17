using System;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Registry
{
    /// <summary>
    /// What a registry login yields: a user name and password (Basic, or the password on a token
    /// request), an OAuth2 refresh token ("identity token" in docker's config), or a ready bearer token.
    /// Never printed: <see cref="ToString"/> hides the secrets.
    /// </summary>
    public sealed class RegistryCredential
    {
        public RegistryCredential(string? userName, string? password, string? identityToken = null, string? registryToken = null)
        {
            UserName = userName;
            Password = password;
            IdentityToken = identityToken;
            RegistryToken = registryToken;
        }

        public string? UserName { get; }
        public string? Password { get; }
        /// <summary>OAuth2 refresh token, exchanged at the token endpoint (docker's "identitytoken").</summary>
        public string? IdentityToken { get; }
        /// <summary>A bearer token to send as it is (docker's "registrytoken").</summary>
        public string? RegistryToken { get; }
        /// <summary>Where this credential came from, for -Verbose (never the secret itself).</summary>
        public string Source { get; set; } = "unknown";

        public bool IsEmpty => string.IsNullOrEmpty(UserName) && string.IsNullOrEmpty(Password)
            && string.IsNullOrEmpty(IdentityToken) && string.IsNullOrEmpty(RegistryToken);

        public override string ToString() => $"credential for '{UserName ?? "<token>"}' from {Source}";
    }

    /// <summary>Finds the credential to use for a registry host (e.g. "ghcr.io", "localhost:5000").</summary>
    public interface ICredentialProvider
    {
        /// <summary>The credential for <paramref name="registry"/>, or null for anonymous access.</summary>
        Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken);
    }

    /// <summary>One fixed credential for one registry (from -Credential), falling back to another provider.</summary>
    public sealed class StaticCredentialProvider : ICredentialProvider
    {
        private readonly string? _registry;
        private readonly RegistryCredential _credential;
        private readonly ICredentialProvider? _fallback;

        /// <param name="registry">The registry the credential is for; null means any registry.</param>
        public StaticCredentialProvider(string? registry, RegistryCredential credential, ICredentialProvider? fallback = null)
        {
            _registry = registry;
            _credential = credential;
            _fallback = fallback;
        }

        public Task<RegistryCredential?> GetAsync(string registry, CancellationToken cancellationToken)
        {
            if (_registry == null || string.Equals(_registry, registry, StringComparison.OrdinalIgnoreCase))
                return Task.FromResult<RegistryCredential?>(_credential);
            return _fallback?.GetAsync(registry, cancellationToken) ?? Task.FromResult<RegistryCredential?>(null);
        }
    }
}
