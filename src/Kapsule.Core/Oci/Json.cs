using System;
using System.Collections.Generic;
using System.IO;
using System.Text;
using System.Text.Json;

namespace Kapsule.Oci
{
    /// <summary>
    /// JSON helpers shared by the OCI documents. Output is compact, field order fixed, annotation maps
    /// sorted by key (as Go's encoding/json writes maps), and no HTML escaping, so the same document always
    /// serialises to the same bytes — the bytes that are hashed.
    /// </summary>
    internal static class Json
    {
        public static readonly JsonWriterOptions WriterOptions = new JsonWriterOptions
        {
            Indented = false,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
            SkipValidation = false,
        };

        public static readonly JsonDocumentOptions ReaderOptions = new JsonDocumentOptions
        {
            AllowTrailingCommas = false,
            CommentHandling = JsonCommentHandling.Disallow,
            MaxDepth = 64,
        };

        public static byte[] Write(Action<Utf8JsonWriter> body)
        {
            using var ms = new MemoryStream();
            using (var w = new Utf8JsonWriter(ms, WriterOptions))
            {
                body(w);
            }
            return ms.ToArray();
        }

        public static void WriteAnnotations(Utf8JsonWriter w, string name, IReadOnlyDictionary<string, string>? annotations)
        {
            if (annotations == null || annotations.Count == 0) return;
            w.WritePropertyName(name);
            w.WriteStartObject();
            var keys = new List<string>(annotations.Keys);
            keys.Sort(StringComparer.Ordinal);
            foreach (var k in keys) w.WriteString(k, annotations[k]);
            w.WriteEndObject();
        }

        public static SortedDictionary<string, string>? ReadAnnotations(JsonElement parent, string name, string where)
        {
            if (!parent.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null) return null;
            if (el.ValueKind != JsonValueKind.Object) throw Invalid($"{where}.{name} must be an object of strings");
            var map = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (var p in el.EnumerateObject())
            {
                if (p.Value.ValueKind != JsonValueKind.String) throw Invalid($"{where}.{name}.{p.Name} must be a string");
                map[p.Name] = p.Value.GetString()!;
            }
            return map;
        }

        public static string? OptString(JsonElement parent, string name, string where)
        {
            if (!parent.TryGetProperty(name, out var el) || el.ValueKind == JsonValueKind.Null) return null;
            if (el.ValueKind != JsonValueKind.String) throw Invalid($"{where}.{name} must be a string");
            return el.GetString();
        }

        public static string ReqString(JsonElement parent, string name, string where)
            => OptString(parent, name, where) ?? throw Invalid($"{where}.{name} is missing");

        public static KapsuleException Invalid(string what)
            => new KapsuleException(ErrorIds.InvalidManifest, KapsuleErrorKind.InvalidData, $"Invalid OCI document: {what}.");

        public static JsonDocument Parse(byte[] bytes, string what)
        {
            try
            {
                return JsonDocument.Parse(bytes, ReaderOptions);
            }
            catch (JsonException e)
            {
                throw new KapsuleException(ErrorIds.InvalidManifest, KapsuleErrorKind.InvalidData,
                    $"The {what} is not valid JSON: {e.Message}", e);
            }
        }

        public static string Utf8(byte[] bytes) => Encoding.UTF8.GetString(bytes);
    }
}
