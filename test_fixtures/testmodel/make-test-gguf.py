#!/usr/bin/env python3
"""Writes test.gguf: a tiny but well-formed GGUF v3 file (one F32 tensor) for Kapsule's tests.

The header carries the metadata Kapsule reads (general.architecture, general.name,
general.file_type, a parameter count); the tensor data is deterministic, so the file's
sha256 never changes. Run it again only to change the fixture on purpose."""
import struct

def s(v):
    b = v.encode()
    return struct.pack('<Q', len(b)) + b

UINT32, FLOAT32, STRING, UINT64 = 4, 6, 8, 10
kvs = [
    ('general.architecture', STRING, s('llama')),
    ('general.name', STRING, s('kapsule-testmodel')),
    ('general.file_type', UINT32, struct.pack('<I', 2)),          # MOSTLY_Q4_0 in llama.cpp's table
    ('general.parameter_count', UINT64, struct.pack('<Q', 32)),
    ('llama.context_length', UINT32, struct.pack('<I', 2048)),
    ('llama.embedding_length', UINT32, struct.pack('<I', 8)),
    ('llama.block_count', UINT32, struct.pack('<I', 1)),
    ('general.alignment', UINT32, struct.pack('<I', 32)),
]
tensors = [('token_embd.weight', [8, 4], 0)]  # F32

out = bytearray(b'GGUF' + struct.pack('<I', 3) + struct.pack('<QQ', len(tensors), len(kvs)))
for k, t, v in kvs:
    out += s(k) + struct.pack('<I', t) + v
offset = 0
for name, dims, ggml_type in tensors:
    out += s(name) + struct.pack('<I', len(dims)) + b''.join(struct.pack('<Q', d) for d in dims)
    out += struct.pack('<IQ', ggml_type, offset)
while len(out) % 32:
    out += b'\0'
out += b''.join(struct.pack('<f', (i % 7) / 8.0) for i in range(32))
open('test.gguf', 'wb').write(out)
print(len(out), 'bytes')
