/**
 * A small HDF5 writer: exactly what Keras 3's model.weights.h5 needs, nothing more —
 * groups, float32 datasets and one string attribute per group. It writes the file h5py
 * writes with its default (earliest) format, so every HDF5 reader since 1.8 opens it:
 *
 *   superblock version 0 (8-byte offsets and lengths, group K 4 / 16);
 *   version-1 object headers;
 *   "old-style" groups: a symbol-table message pointing at a version-1 B-tree (one node,
 *     level 0, room for 2K children, K = 16 as h5py's) whose children are symbol-table nodes (SNOD,
 *     room for 2·4 = 8 entries each) and a local heap holding the member names;
 *   datasets: dataspace v1, IEEE float32 little-endian datatype v1, contiguous layout v3
 *     (no filters, no chunks, no fill-value message: the data is always written);
 *   attributes: message v1, scalar, variable-length UTF-8 string (as h5py writes a Python
 *     str), the characters in one global heap collection.
 *
 * Written here rather than with h5wasm (HDF5 built to WebAssembly: h5wasm 0.10.3 is a 3.4 MB
 * tarball, 14.7 MB unpacked, about 4 MB of JS and wasm per build) to keep the library pure JS
 * and small: a Keras weights file needs only this bounded subset of the format (~330 lines).
 * Each group's B-tree is a single node: when a group has more than 32 × 8 = 256 members, the
 * superblock's group internal-node K (h5py's 16) is raised so that one node holds them all
 * (readers size B-tree nodes from that K), instead of writing a deeper tree.
 */

const UNDEF = 0xffffffffffffffffn;
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;
const LEAF_K = 4;
/** h5py's group internal-node K; raised for a file whose largest group needs more room. */
const INTERNAL_K = 16;
/** The most K the superblock's 2-byte field holds. */
const MAX_INTERNAL_K = 0xffff;
const SNOD_ENTRIES = 2 * LEAF_K;
const SUPERBLOCK_SIZE = 96;
const SNOD_SIZE = 8 + SNOD_ENTRIES * 40;
const LOCAL_HEAP_HEADER = 32;
/** The HDF5 library reads a global heap collection at least this large (H5HG_MINSIZE). */
const GLOBAL_HEAP_MIN = 4096;

/** A dataset: float32 values in row-major order and their shape. */
export interface H5DatasetSpec {
  shape: readonly number[];
  data: Float32Array;
}

/** A group: members by name (groups or datasets) and string attributes. */
export interface H5GroupSpec {
  members: Map<string, H5GroupSpec | H5DatasetSpec>;
  attrs: Map<string, string>;
}

export function h5Group(): H5GroupSpec {
  return { members: new Map(), attrs: new Map() };
}

const isGroup = (x: H5GroupSpec | H5DatasetSpec): x is H5GroupSpec => 'members' in x;

const pad8 = (n: number): number => (n + 7) & ~7;
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Byte order of names as the HDF5 library compares them (strcmp on UTF-8). */
function byteCompare(a: string, b: string): number {
  const x = utf8(a);
  const y = utf8(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i]! - y[i]!;
  return x.length - y.length;
}

/** Where each object of the tree lives in the file, decided before any byte is written. */
interface GroupLayout {
  spec: H5GroupSpec;
  header: number;
  headerSize: number;
  btree: number;
  heap: number;
  heapData: number;
  heapDataSize: number;
  /** Sorted member names, their heap offsets, and the SNODs they fall in. */
  names: string[];
  nameOffsets: number[];
  snods: number[];
  children: (GroupLayout | DatasetLayout)[];
  /** Global-heap object index of each attribute's value. */
  attrIndex: number[];
}

interface DatasetLayout {
  spec: H5DatasetSpec;
  header: number;
  headerSize: number;
  data: number;
}

/** Sizes of the attribute message of a name (a scalar variable-length UTF-8 string). */
const VLEN_STRING_TYPE_SIZE = 20; // 8 (class 9 header) + 12 (base type: 1-byte unsigned integer)
const SCALAR_SPACE_SIZE = 8;
const attrMessageSize = (name: string): number => 8 + pad8(utf8(name).length + 1) + pad8(VLEN_STRING_TYPE_SIZE) + pad8(SCALAR_SPACE_SIZE) + 16;

/** The bytes of an HDF5 file holding `root`. */
export function writeHdf5(root: H5GroupSpec, where: string): Uint8Array {
  // One B-tree node per group, with room for the largest group's symbol-table nodes.
  const most = (g: H5GroupSpec): number => Math.max(g.members.size, ...[...g.members.values()].map((m) => (isGroup(m) ? most(m) : 0)));
  const internalK = Math.max(INTERNAL_K, Math.ceil(Math.ceil(most(root) / SNOD_ENTRIES) / 2));
  if (internalK > MAX_INTERNAL_K) throw new RangeError(`${where}: an HDF5 group would hold ${most(root)} members; this writer stores at most ${2 * MAX_INTERNAL_K * SNOD_ENTRIES} in a group`);
  const btreeChildren = 2 * internalK;
  const btreeSize = 24 + btreeChildren * 8 + (btreeChildren + 1) * 8;
  let end = SUPERBLOCK_SIZE;
  const alloc = (n: number): number => {
    const at = end;
    end += pad8(n);
    return at;
  };
  // Global heap objects (attribute values), numbered from 1.
  const heapObjects: Uint8Array[] = [];

  const layoutGroup = (spec: H5GroupSpec, path: string): GroupLayout => {
    const names = [...spec.members.keys()].sort(byteCompare);
    for (const n of names) if (n === '' || n.includes('/') || n === '.') throw new RangeError(`${where}: HDF5 member name ${JSON.stringify(n)} in '${path || '/'}' is not a valid link name`);
    const attrIndex = [...spec.attrs.values()].map((v) => heapObjects.push(utf8(v)));
    const attrBytes = [...spec.attrs.keys()].reduce((n, k) => n + 8 + attrMessageSize(k), 0);
    const headerSize = 16 + 8 + 16 + attrBytes; // prefix, symbol-table message, attributes
    const header = alloc(headerSize);
    const btree = alloc(btreeSize);
    // The heap: the empty string at offset 0 (the B-tree's first key), then each name.
    const nameOffsets: number[] = [];
    let heapDataSize = 8;
    for (const n of names) {
      nameOffsets.push(heapDataSize);
      heapDataSize += pad8(utf8(n).length + 1);
    }
    const heap = alloc(LOCAL_HEAP_HEADER);
    const heapData = alloc(heapDataSize);
    const snods: number[] = [];
    for (let i = 0; i < names.length; i += SNOD_ENTRIES) snods.push(alloc(SNOD_SIZE));
    const children = names.map((n) => {
      const m = spec.members.get(n)!;
      return isGroup(m) ? layoutGroup(m, `${path}/${n}`) : layoutDataset(m, `${path}/${n}`);
    });
    return { spec, header, headerSize, btree, heap, heapData, heapDataSize, names, nameOffsets, snods, children, attrIndex };
  };

  const layoutDataset = (spec: H5DatasetSpec, path: string): DatasetLayout => {
    const count = spec.shape.reduce((a, b) => a * b, 1);
    if (!spec.shape.every((n) => Number.isSafeInteger(n) && n >= 0) || count !== spec.data.length) throw new RangeError(`${where}: HDF5 dataset '${path}': shape [${spec.shape.join(', ')}] does not fit its ${spec.data.length} values`);
    // prefix; dataspace; datatype (20 → 24); layout (18 → 24)
    const headerSize = 16 + 8 + (8 + 8 * spec.shape.length) + 8 + 24 + 8 + 24;
    const header = alloc(headerSize);
    const data = alloc(4 * count);
    return { spec, header, headerSize, data };
  };

  const rootLayout = layoutGroup(root, '');
  let globalHeap = -1;
  let globalHeapSize = 0;
  if (heapObjects.length > 0) {
    globalHeapSize = Math.max(GLOBAL_HEAP_MIN, 16 + heapObjects.reduce((n, o) => n + 16 + pad8(o.length), 0) + 16);
    globalHeap = alloc(globalHeapSize);
  }

  const bytes = new Uint8Array(end);
  const dv = new DataView(bytes.buffer);
  const u8 = (p: number, v: number): void => dv.setUint8(p, v);
  const u16 = (p: number, v: number): void => dv.setUint16(p, v, true);
  const u32 = (p: number, v: number): void => dv.setUint32(p, v, true);
  const u64 = (p: number, v: number | bigint): void => dv.setBigUint64(p, BigInt(v), true);
  const ascii = (p: number, s: string): void => bytes.set(utf8(s), p);

  // Superblock.
  bytes.set([0x89, 0x48, 0x44, 0x46, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  // versions 0 (superblock, free space, root symbol table entry, shared headers), sizes of offsets and lengths 8
  bytes.set([0, 0, 0, 0, 0, 8, 8, 0], 8);
  u16(16, LEAF_K);
  u16(18, internalK);
  u32(20, 0);
  u64(24, 0); // base address
  u64(32, UNDEF); // free-space info
  u64(40, end); // end of file
  u64(48, UNDEF); // driver information
  symbolEntry(56, 0, rootLayout);

  /** A symbol-table entry; a group's caches its B-tree and heap addresses (cache type 1). */
  function symbolEntry(p: number, nameOffset: number, target: GroupLayout | DatasetLayout): void {
    u64(p, nameOffset);
    u64(p + 8, target.header);
    if ('btree' in target) {
      u32(p + 16, 1);
      u64(p + 24, target.btree);
      u64(p + 32, target.heap);
    }
  }

  /** A version-1 object header's 16-byte prefix; messages follow. */
  function objectHeader(p: number, messages: number, size: number): number {
    u8(p, 1);
    u16(p + 2, messages);
    u32(p + 4, 1); // reference count
    u32(p + 8, size - 16);
    return p + 16;
  }

  function message(p: number, type: number, size: number): number {
    u16(p, type);
    u16(p + 2, size);
    return p + 8;
  }

  function writeGroup(g: GroupLayout): void {
    let p = objectHeader(g.header, 1 + g.spec.attrs.size, g.headerSize);
    p = message(p, 0x11, 16); // symbol table
    u64(p, g.btree);
    u64(p + 8, g.heap);
    p += 16;
    [...g.spec.attrs.keys()].forEach((name, i) => {
      p = writeAttribute(p, name, g.attrIndex[i]!);
    });
    // B-tree: one leaf-level node whose children are the SNODs; key i+1 is the last name in child i.
    const t = g.btree;
    ascii(t, 'TREE');
    u8(t + 4, 0); // group node
    u8(t + 5, 0); // level
    u16(t + 6, g.snods.length);
    u64(t + 8, UNDEF);
    u64(t + 16, UNDEF);
    u64(t + 24, 0); // key 0: the empty string
    g.snods.forEach((s, i) => {
      const last = Math.min((i + 1) * SNOD_ENTRIES, g.names.length) - 1;
      u64(t + 32 + 16 * i, s);
      u64(t + 40 + 16 * i, g.nameOffsets[last]!);
    });
    // Local heap.
    ascii(g.heap, 'HEAP');
    u8(g.heap + 4, 0);
    u64(g.heap + 8, g.heapDataSize);
    u64(g.heap + 16, 1); // no free block (H5HL_FREE_NULL)
    u64(g.heap + 24, g.heapData);
    g.names.forEach((n, i) => ascii(g.heapData + g.nameOffsets[i]!, n));
    // SNODs.
    g.snods.forEach((s, k) => {
      ascii(s, 'SNOD');
      u8(s + 4, 1);
      const from = k * SNOD_ENTRIES;
      const count = Math.min(SNOD_ENTRIES, g.names.length - from);
      u16(s + 6, count);
      for (let j = 0; j < count; j++) symbolEntry(s + 8 + 40 * j, g.nameOffsets[from + j]!, g.children[from + j]!);
    });
    for (const c of g.children) {
      if ('btree' in c) writeGroup(c);
      else writeDataset(c);
    }
  }

  function writeAttribute(p: number, name: string, heapIndex: number): number {
    const size = attrMessageSize(name);
    let q = message(p, 0x0c, size);
    const nameBytes = utf8(name);
    u8(q, 1); // version
    u16(q + 2, nameBytes.length + 1);
    u16(q + 4, VLEN_STRING_TYPE_SIZE);
    u16(q + 6, SCALAR_SPACE_SIZE);
    q += 8;
    bytes.set(nameBytes, q);
    q += pad8(nameBytes.length + 1);
    // Variable-length string (class 9, version 1): type string, null-terminated padding, UTF-8.
    bytes.set([0x19, 0x01, 0x01, 0x00], q);
    u32(q + 4, 16);
    // its base type: a 1-byte unsigned little-endian integer (class 0), offset 0, precision 8
    bytes.set([0x10, 0x00, 0x00, 0x00], q + 8);
    u32(q + 12, 1);
    u16(q + 16, 0);
    u16(q + 18, 8);
    q += pad8(VLEN_STRING_TYPE_SIZE);
    u8(q, 1); // dataspace version 1, rank 0: scalar
    q += pad8(SCALAR_SPACE_SIZE);
    u32(q, heapObjects[heapIndex - 1]!.length);
    u64(q + 4, globalHeap);
    u32(q + 12, heapIndex);
    return p + 8 + size;
  }

  function writeDataset(d: DatasetLayout): void {
    const rank = d.spec.shape.length;
    let p = objectHeader(d.header, 3, d.headerSize);
    p = message(p, 0x01, 8 + 8 * rank); // dataspace, version 1
    u8(p, 1);
    u8(p + 1, rank);
    d.spec.shape.forEach((n, i) => u64(p + 8 + 8 * i, n));
    p += 8 + 8 * rank;
    p = message(p, 0x03, 24); // datatype: IEEE float32 little-endian
    bytes.set([0x11, 0x20, 0x1f, 0x00], p); // version 1 class 1; mantissa normalized (implied bit); sign at bit 31
    u32(p + 4, 4);
    u16(p + 8, 0); // bit offset
    u16(p + 10, 32); // precision
    bytes.set([23, 8, 0, 23], p + 12); // exponent at 23, 8 bits; mantissa at 0, 23 bits
    u32(p + 16, 127);
    p += 24;
    p = message(p, 0x08, 24); // layout version 3, contiguous
    u8(p, 3);
    u8(p + 1, 1);
    u64(p + 2, d.spec.data.length === 0 ? UNDEF : d.data);
    u64(p + 10, 4 * d.spec.data.length);
    // The bits as they are (a NaN's payload too): a byte copy on little-endian hosts.
    if (LITTLE_ENDIAN) bytes.set(new Uint8Array(d.spec.data.buffer, d.spec.data.byteOffset, 4 * d.spec.data.length), d.data);
    else d.spec.data.forEach((v, i) => dv.setFloat32(d.data + 4 * i, v, true));
  }

  writeGroup(rootLayout);
  if (globalHeap >= 0) {
    ascii(globalHeap, 'GCOL');
    u8(globalHeap + 4, 1);
    u64(globalHeap + 8, globalHeapSize);
    let p = globalHeap + 16;
    heapObjects.forEach((o, i) => {
      u16(p, i + 1);
      u16(p + 2, 1); // reference count
      u64(p + 8, o.length);
      bytes.set(o, p + 16);
      p += 16 + pad8(o.length);
    });
    // The free space: object 0, its size counting its own header.
    u64(p + 8, globalHeap + globalHeapSize - p);
  }
  return bytes;
}
