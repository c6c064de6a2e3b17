using System;

namespace Kapsule
{
    /// <summary>What went wrong, in words a cmdlet maps to an ErrorCategory.</summary>
    public enum KapsuleErrorKind
    {
        InvalidArgument,
        InvalidData,
        ObjectNotFound,
        ResourceExists,
        PermissionDenied,
        AuthenticationError,
        ConnectionError,
        ProtocolError,
        SecurityError,
        OperationStopped,
        ResourceUnavailable,
        NotImplemented,
    }

    /// <summary>
    /// Every failure the core reports on purpose. <see cref="ErrorId"/> is the stable identifier that
    /// scripts catch (the cmdlets use it as the ErrorRecord's FullyQualifiedErrorId).
    /// </summary>
    public class KapsuleException : Exception
    {
        public KapsuleException(string errorId, KapsuleErrorKind kind, string message, Exception? inner = null)
            : base(message, inner)
        {
            ErrorId = errorId;
            Kind = kind;
        }

        public string ErrorId { get; }
        public KapsuleErrorKind Kind { get; }
        /// <summary>The object the error is about (a reference, a digest, a path), for the ErrorRecord.</summary>
        public object? Target { get; set; }
    }

    /// <summary>ErrorIds used across the core, kept in one place so tests and docs can name them.</summary>
    public static class ErrorIds
    {
        public const string InvalidDigest = "KapsuleInvalidDigest";
        public const string DigestMismatch = "KapsuleDigestMismatch";
        public const string SizeMismatch = "KapsuleSizeMismatch";
        public const string InvalidReference = "KapsuleInvalidReference";
        public const string InvalidManifest = "KapsuleInvalidManifest";
        public const string ImageNotFound = "KapsuleImageNotFound";
        public const string BlobNotFound = "KapsuleBlobNotFound";
        public const string StoreCorrupt = "KapsuleStoreCorrupt";
        public const string StoreLocked = "KapsuleStoreLocked";
        public const string StoreWriteFailed = "KapsuleStoreWriteFailed";
        /// <summary>The Modelfile's text does not follow the grammar (unknown instruction, unterminated string, missing value).</summary>
        public const string ModelfileSyntax = "KapsuleModelfileSyntax";
        /// <summary>The Modelfile parses but says something invalid (unknown parameter, bad value or role, bad semver, no FROM).</summary>
        public const string ModelfileInvalid = "KapsuleModelfileInvalid";
        /// <summary>The Modelfile named by a path does not exist.</summary>
        public const string ModelfileNotFound = "KapsuleModelfileNotFound";
        public const string InvalidRegistry = "KapsuleInvalidRegistry";
        public const string InvalidCredential = "KapsuleInvalidCredential";
        public const string CredentialConfigInvalid = "KapsuleCredentialConfigInvalid";
        public const string CredentialHelperFailed = "KapsuleCredentialHelperFailed";
        public const string CredentialStoreFailed = "KapsuleCredentialStoreFailed";
        public const string NotLoggedIn = "KapsuleNotLoggedIn";
    }
}
