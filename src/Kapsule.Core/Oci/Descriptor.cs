using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Kapsule.Oci
{
    /// <summary>Platform of an index entry (image-spec image-index.md).</summary>
    public sealed class Platform
    {
        public string Architecture { get; set; } = string.Empty;
        public string Os { get; set; } = string.Empty;
        public string? OsVersion { get; set; }
        public string? Variant { get; set; }

        internal void Write(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("architecture", Architecture);
            w.WriteString("os", Os);
            if (OsVersion != null) w.WriteString("os.version", OsVersion);
            if (Variant != null) w.WriteString("variant", Variant);
            w.WriteEndObject();
        }

        internal static Platform Read(JsonElement e, string where) => new Platform
        {
            Architecture = Json.OptString(e, "architecture", where) ?? string.Empty,
            Os = Json.OptString(e, "os", where) ?? string.Empty,
            OsVersion = Json.OptString(e, "os.version", where),
            Variant = Json.OptString(e, "variant", where),
        };
    }

    /// <summary>An OCI content descriptor: what a blob is, its digest and its exact size.</summary>
    public sealed class Descriptor
    {
        public Descriptor(string mediaType, Digest digest, long size)
        {
            if (size < 0) throw Json.Invalid("a descriptor size is negative");
            MediaType = mediaType;
            Digest = digest;
            Size = size;
        }

        public string MediaType { get; set; }
        public Digest Digest { get; }
        public long Size { get; }
        public string? ArtifactType { get; set; }
        public IList<string>? Urls { get; set; }
        public SortedDictionary<string, string>? Annotations { get; set; }
        public Platform? Platform { get; set; }
        /// <summary>Embedded content (base64 in JSON), checked against the digest when read.</summary>
        public byte[]? Data { get; set; }

        public string? GetAnnotation(string key)
            => Annotations != null && Annotations.TryGetValue(key, out var v) ? v : null;

        public void SetAnnotation(string key, string? value)
        {
            if (value == null)
            {
                Annotations?.Remove(key);
                return;
            }
            Annotations ??= new SortedDictionary<string, string>(StringComparer.Ordinal);
            Annotations[key] = value;
        }

        public Descriptor Clone()
        {
            return new Descriptor(MediaType, Digest, Size)
            {
                ArtifactType = ArtifactType,
                Urls = Urls == null ? null : new List<string>(Urls),
                Annotations = Annotations == null ? null : new SortedDictionary<string, string>(Annotations, StringComparer.Ordinal),
                Platform = Platform,
                Data = Data,
            };
        }

        internal void Write(Utf8JsonWriter w)
        {
            w.WriteStartObject();
            w.WriteString("mediaType", MediaType);
            w.WriteString("digest", Digest.ToString());
            w.WriteNumber("size", Size);
            if (Urls != null && Urls.Count > 0)
            {
                w.WritePropertyName("urls");
                w.WriteStartArray();
                foreach (var u in Urls) w.WriteStringValue(u);
                w.WriteEndArray();
            }
            if (Data != null) w.WriteString("data", Convert.ToBase64String(Data));
            if (Platform != null)
            {
                w.WritePropertyName("platform");
                Platform.Write(w);
            }
            if (ArtifactType != null) w.WriteString("artifactType", ArtifactType);
            Json.WriteAnnotations(w, "annotations", Annotations);
            w.WriteEndObject();
        }

        internal static Descriptor Read(JsonElement e, string where)
        {
            if (e.ValueKind != JsonValueKind.Object) throw Json.Invalid($"{where} must be an object");
            var mediaType = Json.ReqString(e, "mediaType", where);
            var digestText = Json.ReqString(e, "digest", where);
            if (!Digest.TryParse(digestText, out var digest)) throw Json.Invalid($"{where}.digest '{digestText}' is not a valid digest");
            if (!e.TryGetProperty("size", out var sizeEl) || sizeEl.ValueKind != JsonValueKind.Number || !sizeEl.TryGetInt64(out var size))
                throw Json.Invalid($"{where}.size is missing or not an integer");
            if (size < 0) throw Json.Invalid($"{where}.size is negative");
            var d = new Descriptor(mediaType, digest, size)
            {
                ArtifactType = Json.OptString(e, "artifactType", where),
                Annotations = Json.ReadAnnotations(e, "annotations", where),
            };
            if (e.TryGetProperty("urls", out var urls) && urls.ValueKind == JsonValueKind.Array)
            {
                d.Urls = new List<string>();
                foreach (var u in urls.EnumerateArray())
                {
                    if (u.ValueKind != JsonValueKind.String) throw Json.Invalid($"{where}.urls must hold strings");
                    d.Urls.Add(u.GetString()!);
                }
            }
            if (e.TryGetProperty("platform", out var p) && p.ValueKind == JsonValueKind.Object) d.Platform = Platform.Read(p, where + ".platform");
            var data = Json.OptString(e, "data", where);
            if (data != null)
            {
                byte[] bytes;
                try { bytes = Convert.FromBase64String(data); }
                catch (FormatException) { throw Json.Invalid($"{where}.data is not base64"); }
                if (bytes.Length != size || Digest.Compute(bytes, digest.Algorithm) != digest)
                    throw Json.Invalid($"{where}.data does not match its digest and size");
                d.Data = bytes;
            }
            return d;
        }

        public override string ToString() => $"{MediaType} {Digest} ({Size} bytes)";
    }
}
