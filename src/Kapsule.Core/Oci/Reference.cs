using System;
using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;

namespace Kapsule.Oci
{
    /// <summary>
    /// An image reference, <c>[registry[:port]/]repository[:tag][@digest]</c>, parsed and normalised the way
    /// Docker does it (the distribution/reference grammar plus its "familiar name" normalisation):
    /// no registry means <c>docker.io</c>, a single-component Docker Hub name gets the <c>library/</c>
    /// namespace, <c>index.docker.io</c> becomes <c>docker.io</c>, and <c>latest</c> is the default tag.
    /// </summary>
    /// <remarks>
    /// Deliberate differences from distribution/reference's ParseNormalizedNamed:
    /// a reference keeps both its tag and its digest (ParseDockerRef would drop the tag); digests are
    /// validated by <see cref="Oci.Digest"/> (sha256 and sha512 only, lowercase hex of the exact length);
    /// and a first component that is taken to be a registry (it has a '.') but is not a valid host name,
    /// such as <c>foo_bar.com/app</c>, is rejected instead of being returned with an empty registry.
    /// </remarks>
    public sealed class Reference : IEquatable<Reference>
    {
        /// <summary>The registry that names without a registry belong to (Docker Hub).</summary>
        public const string DefaultRegistry = "docker.io";

        /// <summary>Docker Hub's legacy name ("the Docker Index"), normalised to <see cref="DefaultRegistry"/>.</summary>
        public const string LegacyDefaultRegistry = "index.docker.io";

        /// <summary>The Docker Hub namespace of official images: <c>ubuntu</c> is <c>library/ubuntu</c>.</summary>
        public const string OfficialRepositoryPrefix = "library/";

        /// <summary>The tag used when a reference names neither a tag nor a digest.</summary>
        public const string DefaultTag = "latest";

        /// <summary>The longest repository path accepted (the registry is not counted).</summary>
        public const int MaxRepositoryLength = 255;

        private const string Localhost = "localhost";

        private const string ValidFormHint =
            "A valid reference looks like [registry[:port]/]repository[:tag][@digest], for example " +
            "'ubuntu', 'docker.io/library/ubuntu:22.04' or 'localhost:5000/models/llama:7b'";

        // ---- The grammar (distribution/reference, reference.go and regexp.go) -------------------------
        // alpha-numeric    := [a-z0-9]+
        // separator        := [._] | __ | [-]+
        // path-component   := alpha-numeric (separator alpha-numeric)*
        // remote-name      := path-component ('/' path-component)*
        // domain-component := [a-zA-Z0-9] | [a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9]
        // domain-name      := domain-component ('.' domain-component)*
        // host             := domain-name | '[' [a-fA-F0-9:]+ ']'
        // domain           := host (':' [0-9]+)?
        // name             := (domain '/')? remote-name
        // tag              := [\w][\w.-]{0,127}          (\w is ASCII: letters, digits, underscore)
        // digest           := algorithm ':' [0-9a-fA-F]{32,}
        // algorithm        := [A-Za-z][A-Za-z0-9]* ([-_+.] [A-Za-z][A-Za-z0-9]*)*
        // reference        := name (':' tag)? ('@' digest)?
        // identifier       := [a-f0-9]{64}
        // Character classes are spelled out: .NET's \w and \d would also match non-ASCII letters and digits,
        // and \z is used because .NET's $ also matches before a final newline.
        private const string AlphaNumeric = "[a-z0-9]+";
        private const string Separator = "(?:[._]|__|[-]+)";
        private const string PathComponent = AlphaNumeric + "(?:" + Separator + AlphaNumeric + ")*";
        private const string RemoteName = PathComponent + "(?:/" + PathComponent + ")*";
        private const string DomainComponent = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
        private const string DomainName = DomainComponent + @"(?:\." + DomainComponent + ")*";
        private const string Ipv6Address = @"\[(?:[a-fA-F0-9:]+)\]";
        private const string Host = "(?:" + DomainName + "|" + Ipv6Address + ")";
        private const string DomainAndPort = Host + "(?::[0-9]+)?";
        private const string NamePattern = "(?:" + DomainAndPort + "/)?" + RemoteName;
        private const string TagPattern = "[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}";
        private const string DigestPattern = "[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}";
        private const string IdentifierPattern = "[a-f0-9]{64}";

        private const RegexOptions Options = RegexOptions.CultureInvariant;

        private static readonly Regex ReferenceRegex = new Regex(
            "^(" + NamePattern + ")(?::(" + TagPattern + "))?(?:@(" + DigestPattern + "))?\\z", Options);

        private static readonly Regex AnchoredNameRegex = new Regex(
            "^(?:(" + DomainAndPort + ")/)?(" + RemoteName + ")\\z", Options);

        private static readonly Regex AnchoredDomainRegex = new Regex("^" + DomainAndPort + "\\z", Options);
        private static readonly Regex AnchoredRemoteNameRegex = new Regex("^" + RemoteName + "\\z", Options);
        private static readonly Regex AnchoredTagRegex = new Regex("^" + TagPattern + "\\z", Options);
        private static readonly Regex AnchoredDigestRegex = new Regex("^" + DigestPattern + "\\z", Options);
        private static readonly Regex AnchoredIdentifierRegex = new Regex("^" + IdentifierPattern + "\\z", Options);
        private static readonly Regex LoopbackIPv4Regex = new Regex(
            "^127\\.([0-9]{1,3})\\.([0-9]{1,3})\\.([0-9]{1,3})\\z", Options);

        private Reference(string registry, string repository, string? tag, Digest? digest)
        {
            Registry = registry;
            Repository = repository;
            Tag = tag;
            Digest = digest;
        }

        /// <summary>The registry host with optional port: <c>docker.io</c>, <c>localhost:5000</c>, <c>[::1]:5000</c>.</summary>
        public string Registry { get; }

        /// <summary>The repository path inside the registry: <c>library/ubuntu</c>.</summary>
        public string Repository { get; }

        /// <summary>The tag, or null when the reference has none.</summary>
        public string? Tag { get; }

        /// <summary>The digest, or null when the reference has none.</summary>
        public Digest? Digest { get; }

        /// <summary>Registry and repository: <c>docker.io/library/ubuntu</c>.</summary>
        public string FullName => Registry + "/" + Repository;

        /// <summary>
        /// Docker's short form of the name: on Docker Hub the registry is dropped, and so is <c>library/</c>
        /// when nothing nested follows it (<c>ubuntu</c>, <c>someone/app</c>, <c>library/a/b</c>).
        /// </summary>
        public string FamiliarName
        {
            get
            {
                if (!string.Equals(Registry, DefaultRegistry, StringComparison.Ordinal)) return FullName;
                if (Repository.StartsWith(OfficialRepositoryPrefix, StringComparison.Ordinal))
                {
                    string rest = Repository.Substring(OfficialRepositoryPrefix.Length);
                    if (rest.IndexOf('/') < 0) return rest;
                }
                return Repository;
            }
        }

        /// <summary>Docker's short form of the whole reference: <c>ubuntu:latest</c>.</summary>
        public string FamiliarString => Decorate(FamiliarName);

        /// <summary>
        /// What goes into <c>/v2/&lt;name&gt;/manifests/&lt;reference&gt;</c>: the digest when there is one,
        /// otherwise the tag, otherwise <see cref="DefaultTag"/> (only reachable with <c>defaultTag: false</c>).
        /// </summary>
        public string ReferenceOrDigest =>
            Digest.HasValue ? Digest.Value.ToString() : (Tag ?? DefaultTag);

        /// <summary>The normalised full form: <c>docker.io/library/ubuntu:latest</c>, <c>host:5000/a/b:tag@sha256:…</c>.</summary>
        public override string ToString() => Decorate(FullName);

        private string Decorate(string name)
        {
            string s = name;
            if (Tag != null) s += ":" + Tag;
            if (Digest.HasValue) s += "@" + Digest.Value.ToString();
            return s;
        }

        /// <summary>The same reference with <paramref name="tag"/> as its tag (any digest is kept).</summary>
        public Reference WithTag(string tag)
        {
            if (tag is null || !AnchoredTagRegex.IsMatch(tag))
            {
                string shown = tag ?? string.Empty;
                throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument,
                    $"'{shown}' is not a valid tag: {TagRules}.")
                { Target = shown };
            }
            return new Reference(Registry, Repository, tag, Digest);
        }

        /// <summary>The same reference with <paramref name="digest"/> as its digest (any tag is kept).</summary>
        public Reference WithDigest(Digest digest)
        {
            if (digest.IsEmpty)
            {
                throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument,
                    $"Cannot add an empty digest to '{this}'. A digest looks like sha256:<64 lowercase hex characters>.")
                { Target = this };
            }
            return new Reference(Registry, Repository, Tag, digest);
        }

        private const string TagRules =
            "a tag is 1 to 128 ASCII letters, digits, '_', '.' or '-', and does not start with '.' or '-'";

        // ---- Parsing -------------------------------------------------------------------------------------

        /// <summary>
        /// Parses and normalises <paramref name="s"/>. With <paramref name="defaultTag"/>, a reference without
        /// tag and digest gets the tag <c>latest</c>. Throws <see cref="KapsuleException"/>
        /// (<see cref="ErrorIds.InvalidReference"/>) when <paramref name="s"/> is not a valid reference.
        /// </summary>
        public static Reference Parse(string s, bool defaultTag = true)
        {
            var r = ParseCore(s, defaultTag, out string? why);
            if (r != null) return r;
            throw new KapsuleException(ErrorIds.InvalidReference, KapsuleErrorKind.InvalidArgument, Describe(s, why!))
            { Target = s };
        }

        /// <summary>Like <see cref="Parse"/>, reporting failure as a message instead of an exception.</summary>
        public static bool TryParse(string? s, out Reference? r, out string? error) =>
            TryParse(s, true, out r, out error);

        /// <summary>Like <see cref="Parse"/>, reporting failure as a message instead of an exception.</summary>
        public static bool TryParse(string? s, bool defaultTag, out Reference? r, out string? error)
        {
            r = ParseCore(s, defaultTag, out string? why);
            error = r is null ? Describe(s, why!) : null;
            return r != null;
        }

        private static string Describe(string? input, string why) =>
            $"'{input ?? string.Empty}' is not a valid image reference: {why}. {ValidFormHint}.";

        private static Reference? ParseCore(string? s, bool defaultTag, out string? why)
        {
            why = null;
            if (string.IsNullOrEmpty(s))
            {
                why = "it is empty (a repository name must have at least one component)";
                return null;
            }
            string input = s!;

            if (AnchoredIdentifierRegex.IsMatch(input))
            {
                why = "a bare 64-character hexadecimal string is an image ID, not a repository name " +
                      "(cannot specify 64-byte hexadecimal strings)";
                return null;
            }

            SplitDockerDomain(input, out string domain, out string remainder, out bool domainFromInput, out bool prefixAdded);

            int tagSep = remainder.IndexOf(':');
            string remote = tagSep >= 0 ? remainder.Substring(0, tagSep) : remainder;
            if (!string.Equals(remote.ToLowerInvariant(), remote, StringComparison.Ordinal))
            {
                why = "the repository name must be lowercase";
                return null;
            }

            string full = domain + "/" + remainder;
            Match m = ReferenceRegex.Match(full);
            if (!m.Success)
            {
                string lower = full.ToLowerInvariant();
                if (!string.Equals(lower, full, StringComparison.Ordinal) && ReferenceRegex.IsMatch(lower))
                {
                    why = "the repository name must be lowercase";
                }
                else
                {
                    why = DiagnoseFormat(input, domain, remainder, domainFromInput, prefixAdded);
                }
                return null;
            }

            Match nameMatch = AnchoredNameRegex.Match(m.Groups[1].Value);
            string registry = nameMatch.Groups[1].Success ? nameMatch.Groups[1].Value : string.Empty;
            string path = nameMatch.Groups[2].Value;
            if (registry.Length == 0)
            {
                // distribution/reference would return this with an empty domain (the whole input matched as a
                // path); a reference without a registry is of no use for pulling, so say what is wrong instead.
                why = $"'{domain}' is taken to be a registry (it contains '.' or ':') but is not a valid host name";
                return null;
            }
            if (path.Length > MaxRepositoryLength)
            {
                why = $"the repository name must not be more than {MaxRepositoryLength} characters (it has {path.Length})";
                return null;
            }

            string? tag = m.Groups[2].Success ? m.Groups[2].Value : null;
            Digest? digest = null;
            if (m.Groups[3].Success)
            {
                string d = m.Groups[3].Value;
                if (!Oci.Digest.TryParse(d, out Digest parsed))
                {
                    why = DigestProblem(d);
                    return null;
                }
                digest = parsed;
            }

            if (tag is null && digest is null && defaultTag) tag = DefaultTag;
            return new Reference(registry, path, tag, digest);
        }

        /// <summary>
        /// Docker's split of a name into registry and rest: the first '/'-separated component is a registry
        /// when it is 'localhost', contains '.' or ':', or has uppercase letters (repository paths cannot);
        /// otherwise the registry is Docker Hub. Docker Hub names with a single component get 'library/'.
        /// </summary>
        private static void SplitDockerDomain(string name, out string domain, out string remainder,
            out bool domainFromInput, out bool prefixAdded)
        {
            domainFromInput = false;
            prefixAdded = false;
            int slash = name.IndexOf('/');
            if (slash < 0)
            {
                // A single element ("ubuntu", "ubuntu:22.04", even "localhost:5000") is always a Docker Hub
                // official image; treating it as host:port would make "name:tag" ambiguous.
                domain = DefaultRegistry;
                remainder = OfficialRepositoryPrefix + name;
                prefixAdded = true;
                return;
            }

            string first = name.Substring(0, slash);
            string rest = name.Substring(slash + 1);
            if (string.Equals(first, Localhost, StringComparison.Ordinal))
            {
                domain = first; remainder = rest; domainFromInput = true;
            }
            else if (string.Equals(first, LegacyDefaultRegistry, StringComparison.Ordinal))
            {
                domain = DefaultRegistry; remainder = rest; domainFromInput = true;
            }
            else if (first.IndexOf('.') >= 0 || first.IndexOf(':') >= 0)
            {
                domain = first; remainder = rest; domainFromInput = true;
            }
            else if (!string.Equals(first.ToLowerInvariant(), first, StringComparison.Ordinal))
            {
                domain = first; remainder = rest; domainFromInput = true;
            }
            else
            {
                domain = DefaultRegistry; remainder = name;
            }

            if (string.Equals(domain, DefaultRegistry, StringComparison.Ordinal) && remainder.IndexOf('/') < 0)
            {
                remainder = OfficialRepositoryPrefix + remainder;
                prefixAdded = true;
            }
        }

        /// <summary>Finds the most specific reason a reference does not match the grammar.</summary>
        private static string DiagnoseFormat(string input, string domain, string remainder, bool domainFromInput, bool prefixAdded)
        {
            if (input.IndexOf("://", StringComparison.Ordinal) >= 0)
            {
                return "it contains a URL scheme; write the registry host without '<scheme>://'";
            }
            foreach (char c in input)
            {
                if (char.IsWhiteSpace(c) || char.IsControl(c)) return "it contains whitespace or control characters";
            }

            if (!domainFromInput && prefixAdded && input.StartsWith("[", StringComparison.Ordinal))
            {
                return "it starts with a bracketed IPv6 registry address, which must be followed by '/' and a " +
                       "repository name (like [::1]:5000/repo)";
            }

            string name = remainder;
            int at = name.IndexOf('@');
            if (at >= 0)
            {
                string digestText = name.Substring(at + 1);
                name = name.Substring(0, at);
                if (!AnchoredDigestRegex.IsMatch(digestText)) return DigestProblem(digestText);
            }

            int colon = name.LastIndexOf(':');
            if (colon > name.LastIndexOf('/'))
            {
                string tagText = name.Substring(colon + 1);
                name = name.Substring(0, colon);
                if (tagText.Length == 0) return "the tag after ':' is empty";
                if (!AnchoredTagRegex.IsMatch(tagText)) return $"the tag '{tagText}' is not valid ({TagRules})";
            }

            if (domainFromInput && !AnchoredDomainRegex.IsMatch(domain))
            {
                return $"'{domain}' is not a valid registry host (letters, digits, '-' and '.', " +
                       "optionally ':port'; an IPv6 address goes in brackets, like [::1]:5000)";
            }

            string shown = prefixAdded && name.StartsWith(OfficialRepositoryPrefix, StringComparison.Ordinal)
                ? name.Substring(OfficialRepositoryPrefix.Length)
                : name;
            if (shown.Length == 0) return "the repository name is missing";
            if (!AnchoredRemoteNameRegex.IsMatch(name))
            {
                if (shown.StartsWith("/", StringComparison.Ordinal) || shown.EndsWith("/", StringComparison.Ordinal) ||
                    shown.IndexOf("//", StringComparison.Ordinal) >= 0)
                {
                    return $"the repository name '{shown}' has an empty path component";
                }
                return $"the repository name '{shown}' is not valid (path components are lowercase letters and " +
                       "digits, separated inside by '.', '_', '__' or dashes, and joined by '/')";
            }
            return "invalid reference format";
        }

        private static string DigestProblem(string digestText)
        {
            if (!AnchoredDigestRegex.IsMatch(digestText))
            {
                return $"the digest '{digestText}' is malformed (expected algorithm:hex, like sha256:<64 hex characters>)";
            }
            int colon = digestText.IndexOf(':');
            string alg = digestText.Substring(0, colon);
            if (alg != Oci.Digest.Sha256 && alg != Oci.Digest.Sha512)
            {
                return $"the digest algorithm '{alg}' is not supported (sha256, sha512)";
            }
            int hexLength = digestText.Length - colon - 1;
            int expected = alg == Oci.Digest.Sha256 ? 64 : 128;
            if (hexLength != expected)
            {
                return $"the digest '{digestText}' has {hexLength} hex characters; {alg} needs {expected}";
            }
            return $"the digest '{digestText}' must be lowercase hex";
        }

        // ---- Registries ----------------------------------------------------------------------------------

        /// <summary>
        /// True for a registry on this machine: <c>localhost</c>, <c>127.x.x.x</c> or <c>[::1]</c>, with or
        /// without a port. Only such registries may be spoken to over plain HTTP.
        /// </summary>
        public static bool IsLoopbackRegistry(string? registry)
        {
            if (string.IsNullOrEmpty(registry)) return false;
            string host;
            string rest;
            string r = registry!;
            if (r[0] == '[')
            {
                int close = r.IndexOf(']');
                if (close < 0) return false;
                host = r.Substring(1, close - 1);
                rest = r.Substring(close + 1);
            }
            else
            {
                int colon = r.IndexOf(':');
                host = colon >= 0 ? r.Substring(0, colon) : r;
                rest = colon >= 0 ? r.Substring(colon) : string.Empty;
            }
            if (!IsPortSuffix(rest)) return false;

            if (r[0] == '[')
            {
                return host.IndexOf('%') < 0 && host.IndexOf('.') < 0 &&
                       IPAddress.TryParse(host, out IPAddress? v6) &&
                       v6.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 &&
                       IPAddress.IsLoopback(v6);
            }
            if (string.Equals(host, Localhost, StringComparison.OrdinalIgnoreCase)) return true;
            Match m = LoopbackIPv4Regex.Match(host);
            if (!m.Success) return false;
            for (int i = 1; i <= 3; i++)
            {
                if (int.Parse(m.Groups[i].Value, NumberStyles.None, CultureInfo.InvariantCulture) > 255) return false;
            }
            return true;
        }

        private static bool IsPortSuffix(string rest)
        {
            if (rest.Length == 0) return true;
            if (rest[0] != ':' || rest.Length == 1) return false;
            for (int i = 1; i < rest.Length; i++)
            {
                if (rest[i] < '0' || rest[i] > '9') return false;
            }
            return true;
        }

        // ---- Equality ------------------------------------------------------------------------------------

        public bool Equals(Reference? other) =>
            other is not null &&
            string.Equals(Registry, other.Registry, StringComparison.Ordinal) &&
            string.Equals(Repository, other.Repository, StringComparison.Ordinal) &&
            string.Equals(Tag, other.Tag, StringComparison.Ordinal) &&
            Nullable.Equals(Digest, other.Digest);

        public override bool Equals(object? obj) => obj is Reference r && Equals(r);

        public override int GetHashCode()
        {
            unchecked
            {
                int h = StringComparer.Ordinal.GetHashCode(Registry);
                h = (h * 397) ^ StringComparer.Ordinal.GetHashCode(Repository);
                h = (h * 397) ^ (Tag is null ? 0 : StringComparer.Ordinal.GetHashCode(Tag));
                h = (h * 397) ^ (Digest.HasValue ? Digest.Value.GetHashCode() : 0);
                return h;
            }
        }

        public static bool operator ==(Reference? a, Reference? b) => a is null ? b is null : a.Equals(b);
        public static bool operator !=(Reference? a, Reference? b) => !(a == b);
    }
}
