//! Page advice on a mapped file: releasing or prefetching a tensor's pages never changes what
//! is read, and slices that do not come from the file are ignored.

use ggufpack_gguf::{GgmlType, GgufFile, GgufWriter};

#[test]
fn released_pages_read_back_the_same_bytes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("m.gguf");
    let data: Vec<u8> = (0..1 << 20).map(|i| (i * 7 % 251) as u8).collect();
    let mut w = GgufWriter::new();
    w.add_tensor("t", &[1 << 18], GgmlType::F32, data.as_slice())
        .unwrap();
    w.write_to_path(&path).unwrap();
    let f = GgufFile::open(&path).unwrap();
    let t = f.tensor_data_by_name("t").unwrap();
    f.prefetch(t);
    assert_eq!(t, data.as_slice());
    f.release(t);
    assert_eq!(t, data.as_slice());
    f.release(&t[4096..8192]);
    assert_eq!(&t[4000..9000], &data[4000..9000]);
    // a slice from elsewhere is ignored
    f.release(&data);
    f.prefetch(&[]);
    assert_eq!(t, data.as_slice());
}
