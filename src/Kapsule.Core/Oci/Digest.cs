using System;
using System.IO;
using System.Security.Cryptography;
using System.Threading;
using System.Threading.Tasks;

namespace Kapsule.Oci
{
    /// <summary>
    /// An OCI content digest, <c>algorithm:encoded</c> (image-spec descriptor.md). sha256 and sha512 are
    /// the registered algorithms; the encoded part is lowercase hex of the exact length.
    /// </summary>
    public readonly struct Digest : IEquatable<Digest>
    {
        public const string Sha256 = "sha256";
        public const string Sha512 = "sha512";

        private Digest(string algorithm, string hex)
        {
            Algorithm = algorithm;
            Hex = hex;
        }

        public string Algorithm { get; }
        public string Hex { get; }
        public bool IsEmpty => Algorithm is null;

        public override string ToString() => IsEmpty ? string.Empty : Algorithm + ":" + Hex;

        public static Digest Parse(string value)
        {
            if (TryParse(value, out var digest, out var why)) return digest;
            throw new KapsuleException(ErrorIds.InvalidDigest, KapsuleErrorKind.InvalidArgument,
                $"'{value}' is not a valid digest: {why}. A digest looks like sha256:<64 lowercase hex characters>.")
            { Target = value };
        }

        public static bool TryParse(string? value, out Digest digest) => TryParse(value, out digest, out _);

        private static bool TryParse(string? value, out Digest digest, out string why)
        {
            digest = default;
            if (string.IsNullOrEmpty(value)) { why = "it is empty"; return false; }
            int colon = value!.IndexOf(':');
            if (colon <= 0) { why = "it has no algorithm prefix"; return false; }
            string alg = value.Substring(0, colon);
            string hex = value.Substring(colon + 1);
            int expected;
            switch (alg)
            {
                case Sha256: expected = 64; break;
                case Sha512: expected = 128; break;
                default: why = $"algorithm '{alg}' is not supported (sha256, sha512)"; return false;
            }
            if (hex.Length != expected) { why = $"{alg} needs {expected} hex characters, got {hex.Length}"; return false; }
            foreach (char c in hex)
            {
                if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
                {
                    why = $"'{c}' is not a lowercase hex character"; return false;
                }
            }
            digest = new Digest(alg, hex);
            why = string.Empty;
            return true;
        }

        public static Digest FromHash(string algorithm, byte[] hash)
        {
            return new Digest(algorithm, ToHex(hash));
        }

        public static Digest Compute(byte[] data, string algorithm = Sha256)
        {
            using var h = DigestHasher.Create(algorithm);
            h.Append(data, 0, data.Length);
            return h.Finish();
        }

        public static async Task<Digest> ComputeAsync(Stream stream, string algorithm = Sha256, CancellationToken cancellationToken = default)
        {
            using var h = DigestHasher.Create(algorithm);
            var buffer = new byte[1 << 20];
            int n;
            while ((n = await stream.ReadAsync(buffer, 0, buffer.Length, cancellationToken).ConfigureAwait(false)) > 0)
            {
                h.Append(buffer, 0, n);
            }
            return h.Finish();
        }

        internal static string ToHex(byte[] bytes)
        {
            var c = new char[bytes.Length * 2];
            const string digits = "0123456789abcdef";
            for (int i = 0; i < bytes.Length; i++)
            {
                c[2 * i] = digits[bytes[i] >> 4];
                c[2 * i + 1] = digits[bytes[i] & 0xF];
            }
            return new string(c);
        }

        public bool Equals(Digest other) => Algorithm == other.Algorithm && Hex == other.Hex;
        public override bool Equals(object? obj) => obj is Digest d && Equals(d);
        public override int GetHashCode() => (Hex ?? string.Empty).GetHashCode();
        public static bool operator ==(Digest a, Digest b) => a.Equals(b);
        public static bool operator !=(Digest a, Digest b) => !a.Equals(b);
    }

    /// <summary>Incremental hashing for a digest, fed as bytes stream past (one pass, no buffering).</summary>
    public sealed class DigestHasher : IDisposable
    {
        private readonly IncrementalHash _hash;
        private readonly string _algorithm;

        private DigestHasher(string algorithm, IncrementalHash hash)
        {
            _algorithm = algorithm;
            _hash = hash;
        }

        public static DigestHasher Create(string algorithm = Digest.Sha256)
        {
            return algorithm switch
            {
                Digest.Sha256 => new DigestHasher(algorithm, IncrementalHash.CreateHash(HashAlgorithmName.SHA256)),
                Digest.Sha512 => new DigestHasher(algorithm, IncrementalHash.CreateHash(HashAlgorithmName.SHA512)),
                _ => throw new KapsuleException(ErrorIds.InvalidDigest, KapsuleErrorKind.InvalidArgument,
                    $"Digest algorithm '{algorithm}' is not supported (sha256, sha512)."),
            };
        }

        public void Append(byte[] buffer, int offset, int count)
        {
            _hash.AppendData(buffer, offset, count);
        }

        public Digest Finish() => Digest.FromHash(_algorithm, _hash.GetHashAndReset());

        public void Dispose() => _hash.Dispose();
    }
}
