package aggregate

import "hash/maphash"

// cellIndex maps keys to cell numbers. It is an open-addressing table, like
// subjectTable, rather than a map[Key]int32: a map hashes and compares an
// array key through generic code, which cost about a tenth of each row's
// time, while here a one-dimensional key is one string hash and one string
// comparison.
type cellIndex struct {
	seed  maphash.Seed
	slots []int32 // cell number + 1; 0 marks an empty slot
	mask  uint64
	count int
}

func newCellIndex() cellIndex {
	const initial = 64
	return cellIndex{seed: maphash.MakeSeed(), slots: make([]int32, initial), mask: initial - 1}
}

func (x *cellIndex) hash(k Key) uint64 {
	h := maphash.String(x.seed, k[0])
	for _, v := range k[1:] {
		if v != "" {
			h = h*0x9e3779b97f4a7c15 ^ maphash.String(x.seed, v)
		}
	}
	return h
}

func sameKey(a, b *Key) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// find returns the number of the cell with key k among keys, or -1.
func (x *cellIndex) find(k *Key, keys []Key) int32 {
	for i := x.hash(*k) & x.mask; ; i = (i + 1) & x.mask {
		c := x.slots[i] - 1
		if c < 0 {
			return -1
		}
		if sameKey(&keys[c], k) {
			return c
		}
	}
}

// insert records that keys[c] is cell c; the key must not be there yet.
func (x *cellIndex) insert(c int32, keys []Key) {
	if 2*(x.count+1) > len(x.slots) {
		x.slots = make([]int32, 2*len(x.slots))
		x.mask = uint64(len(x.slots) - 1)
		for i := range keys[:c] {
			x.place(int32(i), &keys[i])
		}
	}
	x.place(c, &keys[c])
	x.count = int(c) + 1
}

func (x *cellIndex) place(c int32, k *Key) {
	for i := x.hash(*k) & x.mask; ; i = (i + 1) & x.mask {
		if x.slots[i] == 0 {
			x.slots[i] = c + 1
			return
		}
	}
}
