package aggregate

import (
	"hash/maphash"
	"math"

	"github.com/smartbooqing/steward/privacy"
)

// subjectTable maps each subject to its state: its first contribution, kept
// in the table's own slot, and the link to its other contributions.
//
// It is an open-addressing hash table with linear probing instead of a Go
// map because a row must update the subject's state where it lies: with a
// map the state would live behind an index or pointer, one more cache miss
// per row, and that miss alone made grouping 1M rows twice as slow as a
// host's plain map loop. The hash is maphash with a seed drawn per table,
// so rows cannot be chosen to collide.
type subjectTable struct {
	seed  maphash.Seed
	slots []subjectSlot
	mask  uint64
	count int32
}

// subjectSlot holds one subject; an empty subject marks an empty slot
// (Table.Add rejects rows without a subject).
type subjectSlot struct {
	subject privacy.SubjectID
	hash    uint32 // the low half of the subject's hash: where it goes, and a cheap check before comparing subjects
	id      int32  // order of first appearance, from 0
	cells   uint8  // the subject's number of cells, saturated at 255
	first   contribution
}

// contribution is what one subject adds to one cell. A subject's
// contributions form a list from its slot's first through next, which
// indexes Table.contrib.
type contribution struct {
	records int64
	sum     int64
	cell    int32
	next    int32 // -1 at the end of the list
}

const maxSubjects = math.MaxInt32

func newSubjectTable() subjectTable {
	const initial = 1024
	return subjectTable{seed: maphash.MakeSeed(), slots: make([]subjectSlot, initial), mask: initial - 1}
}

// lookup returns the slot of subject, and whether the subject was there
// before; h is the subject's hash. A new subject gets a slot with its
// subject, hash and id set and the rest zero, which the caller fills in;
// with insert false, lookup returns nil instead. The pointer is valid until
// the next lookup.
func (t *subjectTable) lookup(subject privacy.SubjectID, h uint64, insert bool) (*subjectSlot, bool) {
	h32 := uint32(h)
	for i := uint64(h32) & t.mask; ; i = (i + 1) & t.mask {
		s := &t.slots[i]
		if s.hash == h32 && s.subject == subject {
			return s, true
		}
		if s.subject != "" {
			continue
		}
		if !insert {
			return nil, false
		}
		// Keep the load at most 3/4: linear probing stays short.
		if int(t.count+1) > len(t.slots)/4*3 {
			t.grow()
			return t.lookup(subject, h, insert)
		}
		*s = subjectSlot{subject: subject, hash: h32, id: t.count}
		t.count++
		return s, false
	}
}

// grow enlarges the table fourfold while it is small and twofold beyond a
// million slots. The slots keep their hash, so growing never reads a
// subject's string again.
func (t *subjectTable) grow() {
	old := t.slots
	factor := 4
	if len(old) >= 1<<20 {
		factor = 2
	}
	t.slots = make([]subjectSlot, factor*len(old))
	t.mask = uint64(len(t.slots) - 1)
	for i := range old {
		o := &old[i]
		if o.subject == "" {
			continue
		}
		for j := uint64(o.hash) & t.mask; ; j = (j + 1) & t.mask {
			if t.slots[j].subject == "" {
				t.slots[j] = *o
				break
			}
		}
	}
}

// hash returns the hash lookup needs for subject.
func (t *subjectTable) hash(subject privacy.SubjectID) uint64 {
	return maphash.String(t.seed, string(subject))
}

// touch reads the slot where the search for hash h starts, at both ends
// since a slot can straddle two cache lines. Reading the slots of a batch of
// rows before counting them lets the processor fetch them from memory in
// parallel rather than one row at a time.
func (t *subjectTable) touch(h uint64) uint32 {
	s := &t.slots[uint64(uint32(h))&t.mask]
	return s.hash + uint32(s.first.next)
}

// inOrder returns the occupied slots' indexes in order of first appearance,
// so that a release does not depend on the table's random seed.
func (t *subjectTable) inOrder() []int32 {
	order := make([]int32, t.count)
	for i := range t.slots {
		if s := &t.slots[i]; s.subject != "" {
			order[s.id] = int32(i)
		}
	}
	return order
}
