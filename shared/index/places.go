package index

// placeList says where each entry's codes are: for slot s, code j is row
// row[at[s]+j] of table tab[at[s]+j], for j < n[s]. Every slot's codes
// are one run of the flat row and tab slices, 5 bytes a code and 5 a slot,
// where a slice of places for each entry cost 8 bytes a code and 24 a
// slot.
//
// A slot given new codes gets a new run at the end; its old run, and the
// run of a slot cleared, are dead until the list is packed, which it is
// when more than half of it is dead (and by Index.Compact): packing costs
// time in proportion to the codes, once per as many codes put again.
type placeList struct {
	at   []int32 // per slot: where its run starts
	n    []uint8 // per slot: its number of codes
	row  []int32 // per code: its row
	tab  []uint8 // per code: its table
	dead int     // codes of no slot's run
}

// addSlot appends a slot without codes.
func (p *placeList) addSlot() {
	p.at = append(p.at, int32(len(p.row)))
	p.n = append(p.n, 0)
}

// rows returns the rows and the tables of slot s's codes, in their order.
// The slices are the list's own: writing them changes the list.
func (p *placeList) rows(s int32) ([]int32, []uint8) {
	at, end := p.at[s], p.at[s]+int32(p.n[s])
	return p.row[at:end:end], p.tab[at:end:end]
}

// clear leaves slot s without codes.
func (p *placeList) clear(s int32) {
	p.dead += int(p.n[s])
	p.n[s] = 0
}

// grant gives slot s, which has no codes, a run of n codes and returns it
// to be filled in (see rows). It may pack the list first.
func (p *placeList) grant(s int32, n int) ([]int32, []uint8) {
	if p.dead > 64 && 2*p.dead > len(p.row) || len(p.row)+n > maxRows {
		p.pack()
	}
	p.at[s], p.n[s] = int32(len(p.row)), uint8(n)
	for range n {
		p.row = append(p.row, -1)
		p.tab = append(p.tab, 0)
	}
	return p.rows(s)
}

// move gives slot to the codes of slot from, which keeps them too until
// truncate drops it.
func (p *placeList) move(from, to int32) {
	p.at[to], p.n[to] = p.at[from], p.n[from]
}

// truncate drops the slots from n on, which must have no codes of their
// own (cleared, or moved to another slot).
func (p *placeList) truncate(n int) {
	p.at, p.n = p.at[:n], p.n[:n]
}

// pack copies the runs of every slot into new slices, in slot order,
// exactly as long as they need, leaving none dead.
func (p *placeList) pack() {
	live := len(p.row) - p.dead
	row, tab := make([]int32, 0, live), make([]uint8, 0, live)
	for s := range p.at {
		r, t := p.rows(int32(s))
		p.at[s] = int32(len(row))
		row, tab = append(row, r...), append(tab, t...)
	}
	p.row, p.tab, p.dead = row, tab, 0
}

// compact packs the list and trims its per-slot slices.
func (p *placeList) compact() {
	p.pack()
	p.at, p.n = exact(p.at), exact(p.n)
}
