using System;
using System.Collections.Generic;
using System.Text.Json;

namespace Kapsule.Oci
{
    /// <summary>
    /// An image manifest: OCI image manifest v1.1 (with artifactType and subject) or Docker v2 schema 2,
    /// told apart by <see cref="MediaType"/>. <see cref="Parse"/> keeps the exact bytes it read, because a
    /// manifest's digest is over its bytes and re-serialising must never be needed to verify it.
    /// </summary>
    public sealed class Manifest
    {
        /// <summary>Largest manifest accepted (the distribution spec lets registries refuse above 4 MiB).</summary>
        public const int MaxBytes = 4 * 1024 * 1024;

        public Manifest(string mediaType, Descriptor config)
        {
            MediaType = mediaType;
            Config = config;
        }

        public int SchemaVersion => 2;
        public string MediaType { get; set; }
        public string? ArtifactType { get; set; }
        public Descriptor Config { get; set; }
        public List<Descriptor> Layers { get; } = new List<Descriptor>();
        public Descriptor? Subject { get; set; }
        public SortedDictionary<string, string>? Annotations { get; set; }

        public bool IsDocker => MediaType == MediaTypes.DockerManifest;

        /// <summary>Canonical bytes: compact JSON, fixed field order, sorted annotations.</summary>
        public byte[] ToBytes() => Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", MediaType);
            if (ArtifactType != null && !IsDocker) w.WriteString("artifactType", ArtifactType);
            w.WritePropertyName("config");
            Config.Write(w);
            w.WritePropertyName("layers");
            w.WriteStartArray();
            foreach (var l in Layers) l.Write(w);
            w.WriteEndArray();
            if (Subject != null && !IsDocker)
            {
                w.WritePropertyName("subject");
                Subject.Write(w);
            }
            if (!IsDocker) Json.WriteAnnotations(w, "annotations", Annotations);
            w.WriteEndObject();
        });

        public static Manifest Parse(byte[] bytes, string? mediaTypeHint = null)
        {
            if (bytes.Length > MaxBytes)
                throw Json.Invalid($"the manifest is {bytes.Length} bytes, over the {MaxBytes}-byte limit");
            using var doc = Json.Parse(bytes, "manifest");
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Json.Invalid("a manifest must be a JSON object");
            if (!root.TryGetProperty("schemaVersion", out var sv) || sv.ValueKind != JsonValueKind.Number || !sv.TryGetInt32(out var version) || version != 2)
                throw Json.Invalid("manifest schemaVersion must be 2");
            var mediaType = Json.OptString(root, "mediaType", "manifest") ?? mediaTypeHint ?? MediaTypes.OciManifest;
            if (!MediaTypes.IsManifest(mediaType))
                throw Json.Invalid($"media type '{mediaType}' is not an image manifest");
            if (!root.TryGetProperty("config", out var cfg)) throw Json.Invalid("manifest.config is missing");
            var m = new Manifest(mediaType, Descriptor.Read(cfg, "manifest.config"))
            {
                ArtifactType = Json.OptString(root, "artifactType", "manifest"),
                Annotations = Json.ReadAnnotations(root, "annotations", "manifest"),
            };
            if (!root.TryGetProperty("layers", out var layers) || layers.ValueKind != JsonValueKind.Array)
                throw Json.Invalid("manifest.layers must be an array");
            int i = 0;
            foreach (var l in layers.EnumerateArray()) m.Layers.Add(Descriptor.Read(l, $"manifest.layers[{i++}]"));
            if (root.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object)
                m.Subject = Descriptor.Read(subject, "manifest.subject");
            m.RawBytes = bytes;
            return m;
        }

        /// <summary>The bytes this manifest was parsed from (null for one built in memory).</summary>
        public byte[]? RawBytes { get; private set; }

        /// <summary>The bytes that identify this manifest: those it was read from, else its canonical form.</summary>
        public byte[] GetBytes() => RawBytes ?? ToBytes();

        public Descriptor ToDescriptor()
        {
            var bytes = GetBytes();
            return new Descriptor(MediaType, Digest.Compute(bytes), bytes.Length)
            {
                ArtifactType = IsDocker ? null : ArtifactType,
            };
        }
    }

    /// <summary>An image index (OCI) or manifest list (Docker).</summary>
    public sealed class ImageIndex
    {
        public string MediaType { get; set; } = MediaTypes.OciIndex;
        public string? ArtifactType { get; set; }
        public List<Descriptor> Manifests { get; } = new List<Descriptor>();
        public Descriptor? Subject { get; set; }
        public SortedDictionary<string, string>? Annotations { get; set; }

        public byte[] ToBytes(bool indented = false) => Json.Write(w =>
        {
            w.WriteStartObject();
            w.WriteNumber("schemaVersion", 2);
            w.WriteString("mediaType", MediaType);
            if (ArtifactType != null) w.WriteString("artifactType", ArtifactType);
            w.WritePropertyName("manifests");
            w.WriteStartArray();
            foreach (var m in Manifests) m.Write(w);
            w.WriteEndArray();
            if (Subject != null)
            {
                w.WritePropertyName("subject");
                Subject.Write(w);
            }
            Json.WriteAnnotations(w, "annotations", Annotations);
            w.WriteEndObject();
        });

        public static ImageIndex Parse(byte[] bytes)
        {
            if (bytes.Length > Manifest.MaxBytes)
                throw Json.Invalid($"the index is {bytes.Length} bytes, over the {Manifest.MaxBytes}-byte limit");
            using var doc = Json.Parse(bytes, "index");
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object) throw Json.Invalid("an index must be a JSON object");
            if (!root.TryGetProperty("schemaVersion", out var sv) || sv.ValueKind != JsonValueKind.Number || !sv.TryGetInt32(out var version) || version != 2)
                throw Json.Invalid("index schemaVersion must be 2");
            var idx = new ImageIndex
            {
                MediaType = Json.OptString(root, "mediaType", "index") ?? MediaTypes.OciIndex,
                ArtifactType = Json.OptString(root, "artifactType", "index"),
                Annotations = Json.ReadAnnotations(root, "annotations", "index"),
            };
            if (!MediaTypes.IsIndex(idx.MediaType)) throw Json.Invalid($"media type '{idx.MediaType}' is not an image index");
            if (root.TryGetProperty("manifests", out var ms))
            {
                if (ms.ValueKind != JsonValueKind.Array) throw Json.Invalid("index.manifests must be an array");
                int i = 0;
                foreach (var m in ms.EnumerateArray()) idx.Manifests.Add(Descriptor.Read(m, $"index.manifests[{i++}]"));
            }
            if (root.TryGetProperty("subject", out var subject) && subject.ValueKind == JsonValueKind.Object)
                idx.Subject = Descriptor.Read(subject, "index.subject");
            return idx;
        }
    }

    /// <summary>Reads the <c>mediaType</c> field of a manifest-like document, without a full parse.</summary>
    public static class ManifestSniffer
    {
        public static string? MediaTypeOf(byte[] bytes)
        {
            try
            {
                using var doc = JsonDocument.Parse(bytes, Json.ReaderOptions);
                if (doc.RootElement.ValueKind == JsonValueKind.Object &&
                    doc.RootElement.TryGetProperty("mediaType", out var mt) && mt.ValueKind == JsonValueKind.String)
                    return mt.GetString();
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("manifests", out _))
                    return MediaTypes.OciIndex;
                if (doc.RootElement.ValueKind == JsonValueKind.Object && doc.RootElement.TryGetProperty("config", out _))
                    return MediaTypes.OciManifest;
                return null;
            }
            catch (JsonException)
            {
                return null;
            }
        }
    }
}
