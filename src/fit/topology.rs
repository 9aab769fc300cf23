//! What the regularizers need from a fixed topology, built once: unique neighbours per vertex (CSR),
//! every interior edge once with its two opposite vertices, and each vertex's slots in the per-edge
//! gradient array (CSR), so the GPU can gather instead of scatter.
use crate::mesh::Mesh;
use std::collections::BTreeMap;

#[derive(Clone, Debug)]
pub struct Topology {
    /// Neighbours of vertex i: `neighbors[nbr_offsets[i]..nbr_offsets[i + 1]]`, sorted.
    pub nbr_offsets: Vec<u32>,
    pub neighbors: Vec<u32>,
    /// Interior edges [v0, v1, v2, v3]: the edge v0–v1 and the opposite vertices of its two faces.
    pub edges: Vec<[u32; 4]>,
    /// Slots `edge * 4 + role` of vertex i: `edge_slots[slot_offsets[i]..slot_offsets[i + 1]]`.
    pub slot_offsets: Vec<u32>,
    pub edge_slots: Vec<u32>,
}

fn csr(n: usize, pairs: impl Iterator<Item = (u32, u32)> + Clone) -> (Vec<u32>, Vec<u32>) {
    let mut offsets = vec![0u32; n + 1];
    for (v, _) in pairs.clone() {
        offsets[v as usize + 1] += 1;
    }
    for i in 0..n {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut items = vec![0u32; offsets[n] as usize];
    for (v, x) in pairs {
        items[fill[v as usize] as usize] = x;
        fill[v as usize] += 1;
    }
    (offsets, items)
}

impl Topology {
    pub fn new(mesh: &Mesh) -> Topology {
        let n = mesh.vertices.len();
        // edge (min, max) → opposite vertices of the faces that use it, in face order
        let mut edge_faces: BTreeMap<(u32, u32), Vec<u32>> = BTreeMap::new();
        for f in &mesh.faces {
            for k in 0..3 {
                let (a, b, c) = (f[k], f[(k + 1) % 3], f[(k + 2) % 3]);
                if a != b {
                    edge_faces.entry((a.min(b), a.max(b))).or_default().push(c);
                }
            }
        }
        let mut nbr_pairs: Vec<(u32, u32)> = Vec::with_capacity(edge_faces.len() * 2);
        for &(a, b) in edge_faces.keys() {
            nbr_pairs.push((a, b));
            nbr_pairs.push((b, a));
        }
        nbr_pairs.sort_unstable();
        let (nbr_offsets, neighbors) = csr(n, nbr_pairs.iter().copied());
        let edges: Vec<[u32; 4]> =
            edge_faces.iter().filter(|(_, opp)| opp.len() == 2).map(|(&(a, b), opp)| [a, b, opp[0], opp[1]]).collect();
        let slot_pairs = edges.iter().enumerate().flat_map(|(e, vs)| (0..4).map(move |r| (vs[r], (e * 4 + r) as u32)));
        let mut sp: Vec<(u32, u32)> = slot_pairs.collect();
        sp.sort_unstable();
        let (slot_offsets, edge_slots) = csr(n, sp.iter().copied());
        Topology { nbr_offsets, neighbors, edges, slot_offsets, edge_slots }
    }

    pub fn neighbors_of(&self, i: usize) -> &[u32] {
        &self.neighbors[self.nbr_offsets[i] as usize..self.nbr_offsets[i + 1] as usize]
    }
}
