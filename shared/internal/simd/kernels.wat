;; kernels.wat: the loops of feature extraction and matching that Go's
;; WebAssembly cannot make fast (FAST-9, the 5×5 box sums, the nearest
;; descriptor), written by hand, with the 128-bit SIMD instructions Go's
;; compiler does not emit where they serve. Assembled by `make simd`
;; (wabt's wat2wasm) into kernels.wasm, instantiated beside the Go module
;; with the Go instance's memory as its own, and called through the
;; functions of package simd. Each kernel gives exactly the answer of
;; the Go code it stands for (package simd's doc names it); the tests hold
;; it to that.
(module
  ;; The Go instance's memory: every pointer is an address in it.
  (import "go" "mem" (memory 0))

  ;; nearest(q, qstride, n, ranges, flat, out): for each of n queries,
  ;; the 32-byte descriptor at q + k*qstride, the nearest and second
  ;; nearest of the descriptors flat[lo:hi] (32 bytes each; lo and hi the
  ;; two i32 at ranges + 8k) by Hamming distance, the first of equals the
  ;; nearest: out + 12k gets their distances d1 and d2 (257 for none) and
  ;; the index into flat of the nearest (lo for none), three i32.
  (func (export "nearest") (param $q i32) (param $qstride i32) (param $n i32)
      (param $ranges i32) (param $flat i32) (param $out i32)
    (local $a i64) (local $b i64) (local $c i64) (local $e i64)
    (local $p i32) (local $end i32) (local $d i32) (local $d1 i32) (local $d2 i32) (local $i1 i32)
    (local $j i64) (local $k i64) (local $k1 i64) (local $k2 i64) (local $hi i64)
    local.get $n
    i32.eqz
    if
      return
    end
    loop $query
      local.get $q  i64.load offset=0 align=1  local.set $a
      local.get $q  i64.load offset=8 align=1  local.set $b
      local.get $q  i64.load offset=16 align=1  local.set $c
      local.get $q  i64.load offset=24 align=1  local.set $e
      local.get $ranges  i32.load offset=0  i32.const 5  i32.shl  local.get $flat  i32.add  local.tee $p
      local.set $i1
      local.get $ranges  i32.load offset=4  i32.const 5  i32.shl  local.get $flat  i32.add  local.set $end
      i32.const 257  local.set $d1
      i32.const 257  local.set $d2
      block $cell
        local.get $p  local.get $end  i32.ge_u  br_if $cell
        local.get $end  local.get $p  i32.sub  i32.const 4096  i32.lt_u
        if
          ;; Fewer than 128 descriptors (a cell of a target's features):
          ;; without branches, which real descriptors make too hard to
          ;; predict in a short loop. Each descriptor's key is its distance
          ;; above its index: the least key is the nearest, the first of
          ;; equals, and the next least the second nearest.
          local.get $p  local.get $flat  i32.sub  i32.const 5  i32.shr_u  i64.extend_i32_u  local.tee $j
          i64.const 0x10100000000  i64.or  local.tee $k1  ;; 257
          local.set $k2
          loop $short
            local.get $a  local.get $p  i64.load offset=0 align=1  i64.xor  i64.popcnt
            local.get $b  local.get $p  i64.load offset=8 align=1  i64.xor  i64.popcnt  i64.add
            local.get $c  local.get $p  i64.load offset=16 align=1  i64.xor  i64.popcnt  i64.add
            local.get $e  local.get $p  i64.load offset=24 align=1  i64.xor  i64.popcnt  i64.add
            i64.const 32  i64.shl  local.get $j  i64.or  local.set $k
            ;; k1, k2 = min(k1, k), min(k2, max(k1, k))
            local.get $k  local.get $k1  local.get $k1  local.get $k  i64.lt_u  select  local.set $hi
            local.get $k1  local.get $k  local.get $k1  local.get $k  i64.lt_u  select  local.set $k1
            local.get $k2  local.get $hi  local.get $k2  local.get $hi  i64.lt_u  select  local.set $k2
            local.get $j  i64.const 1  i64.add  local.set $j
            local.get $p  i32.const 32  i32.add  local.tee $p
            local.get $end  i32.lt_u
            br_if $short
          end
          local.get $k1  i64.const 32  i64.shr_u  i32.wrap_i64  local.set $d1
          local.get $k2  i64.const 32  i64.shr_u  i32.wrap_i64  local.set $d2
          local.get $k1  i32.wrap_i64  i32.const 5  i32.shl  local.get $flat  i32.add  local.set $i1
          br $cell
        end
        ;; More: the two nearest so far kept by branches, which a long
        ;; loop predicts well (the nearest rarely changes after its start).
        loop $desc
          local.get $a  local.get $p  i64.load offset=0 align=1  i64.xor  i64.popcnt
          local.get $b  local.get $p  i64.load offset=8 align=1  i64.xor  i64.popcnt  i64.add
          local.get $c  local.get $p  i64.load offset=16 align=1  i64.xor  i64.popcnt  i64.add
          local.get $e  local.get $p  i64.load offset=24 align=1  i64.xor  i64.popcnt  i64.add
          i32.wrap_i64
          local.tee $d
          local.get $d2
          i32.lt_u
          if
            local.get $d  local.get $d1  i32.lt_u
            if
              local.get $d1  local.set $d2
              local.get $d  local.set $d1
              local.get $p  local.set $i1
            else
              local.get $d  local.set $d2
            end
          end
          local.get $p  i32.const 32  i32.add  local.tee $p
          local.get $end  i32.lt_u
          br_if $desc
        end
      end
      local.get $out  local.get $d1  i32.store offset=0
      local.get $out  local.get $d2  i32.store offset=4
      local.get $out  local.get $i1  local.get $flat  i32.sub  i32.const 5  i32.shr_u  i32.store offset=8
      local.get $q  local.get $qstride  i32.add  local.set $q
      local.get $ranges  i32.const 8  i32.add  local.set $ranges
      local.get $out  i32.const 12  i32.add  local.set $out
      local.get $n  i32.const 1  i32.sub  local.tee $n
      br_if $query
    end
  )

  ;; fast(p, w, t, blocks, sc, chunks): the FAST-9 corners at threshold t
  ;; of 16*chunks pixels of a row from address p, in a plane w pixels wide
  ;; that has 3 rows above and below p's and 3 pixels left of p and right
  ;; of the last: for pixel k, byte k of the 16-byte vector stored at
  ;; blocks + 16*(k/16) (the uint64 blocks of package feature's FAST, one
  ;; byte a pixel) gets its top bit when 9 contiguous pixels of its
  ;; circle are all above p+t, and the next bit when all below p−t;
  ;; the other bits 0. The 16-bit score at sc + 2k, of a pixel that is a
  ;; corner, gets its score: how far its circle pixels go above p+t (a
  ;; corner of bright pixels) or below p−t (of dark ones), summed; the
  ;; scores of the other pixels are left as they are.
  ;;
  ;; A vector of 16 pixels first meets the test of the compass points:
  ;; an arc of 9 holds one of the pixels above and below the centre, and
  ;; one of those left and right of it, on its side. Where no pixel of
  ;; the 16 passes, the vector is 0. Otherwise each circle pixel gets,
  ;; for each of the 16 centres, a byte whose top bit says it is
  ;; brighter than the centre by more than t and whose low 7 bits say it
  ;; is darker by more than t (the bounds c+t and c−t saturate at 255 and
  ;; 0, beyond which no pixel lies), and the arcs of both sides are found
  ;; at once by ANDs: of 2 neighbours, of 4, then 8 and one more.
  (func (export "fast") (param $p i32) (param $w i32) (param $t i32) (param $blocks i32) (param $sc i32) (param $chunks i32)
    (local $i i32) (local $v v128) (local $c v128) (local $hi v128) (local $lo v128)
    (local $tt v128) (local $top v128) (local $dark v128) (local $keep v128)
    (local $x v128) (local $e v128) (local $bm v128) (local $dm v128)
    (local $ul v128) (local $uh v128) (local $dl v128) (local $dh v128)
    (local $row0 i32) (local $row1 i32) (local $row2 i32) (local $row3 i32)
    (local $row4 i32) (local $row5 i32) (local $row6 i32)
    (local $s0 v128) (local $s1 v128) (local $s2 v128) (local $s3 v128) (local $s4 v128) (local $s5 v128) (local $s6 v128) (local $s7 v128)
    (local $s8 v128) (local $s9 v128) (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128) (local $s14 v128) (local $s15 v128)
    (local $r0 v128) (local $r1 v128) (local $r2 v128) (local $r3 v128) (local $r4 v128) (local $r5 v128) (local $r6 v128) (local $r7 v128)
    (local $r8 v128) (local $r9 v128) (local $r10 v128) (local $r11 v128) (local $r12 v128) (local $r13 v128) (local $r14 v128) (local $r15 v128)
    (local $q0 v128) (local $q1 v128) (local $q2 v128) (local $q3 v128) (local $q4 v128) (local $q5 v128) (local $q6 v128) (local $q7 v128)
    (local $q8 v128) (local $q9 v128) (local $q10 v128) (local $q11 v128) (local $q12 v128) (local $q13 v128) (local $q14 v128) (local $q15 v128)
    local.get $chunks
    i32.eqz
    if
      return
    end
    ;; rowK: the offset of the pixel 3 left of the centre, K−3 rows down
    local.get $w  i32.const -3  i32.mul  i32.const 3  i32.sub  local.set $row0
    local.get $w  i32.const -2  i32.mul  i32.const 3  i32.sub  local.set $row1
    local.get $w  i32.const -1  i32.mul  i32.const 3  i32.sub  local.set $row2
    local.get $w  i32.const 0  i32.mul  i32.const 3  i32.sub  local.set $row3
    local.get $w  i32.const 1  i32.mul  i32.const 3  i32.sub  local.set $row4
    local.get $w  i32.const 2  i32.mul  i32.const 3  i32.sub  local.set $row5
    local.get $w  i32.const 3  i32.mul  i32.const 3  i32.sub  local.set $row6
    local.get $t  i8x16.splat  local.set $tt
    v128.const i8x16 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80 0x80
    local.set $top
    v128.const i8x16 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0 0xc0
    local.set $keep
    v128.const i8x16 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40 0x40
    local.set $dark
    local.get $p  local.set $i
    loop $chunk
      local.get $i  v128.load align=1  local.tee $c
      local.get $tt  i8x16.add_sat_u  local.set $hi
      local.get $c  local.get $tt  i8x16.sub_sat_u  local.set $lo
      local.get $i  local.get $row0  i32.add  v128.load offset=3 align=1  local.set $v
      local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
      local.get $top  v128.bitselect  local.set $s0  ;; circle pixel 0: (+0, -3)
      local.get $i  local.get $row6  i32.add  v128.load offset=3 align=1  local.set $v
      local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
      local.get $top  v128.bitselect  local.set $s8  ;; circle pixel 8: (+0, +3)
      local.get $i  local.get $row3  i32.add  v128.load offset=6 align=1  local.set $v
      local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
      local.get $top  v128.bitselect  local.set $s4  ;; circle pixel 4: (+3, +0)
      local.get $i  local.get $row3  i32.add  v128.load offset=0 align=1  local.set $v
      local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
      local.get $top  v128.bitselect  local.set $s12  ;; circle pixel 12: (-3, +0)
      local.get $s0  local.get $s8  v128.or  local.get $s4  local.get $s12  v128.or  v128.and
      v128.any_true
      if (result v128)
        local.get $i  local.get $row0  i32.add  v128.load offset=4 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s1  ;; circle pixel 1: (+1, -3)
        local.get $i  local.get $row1  i32.add  v128.load offset=5 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s2  ;; circle pixel 2: (+2, -2)
        local.get $i  local.get $row2  i32.add  v128.load offset=6 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s3  ;; circle pixel 3: (+3, -1)
        local.get $i  local.get $row4  i32.add  v128.load offset=6 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s5  ;; circle pixel 5: (+3, +1)
        local.get $i  local.get $row5  i32.add  v128.load offset=5 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s6  ;; circle pixel 6: (+2, +2)
        local.get $i  local.get $row6  i32.add  v128.load offset=4 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s7  ;; circle pixel 7: (+1, +3)
        local.get $i  local.get $row6  i32.add  v128.load offset=2 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s9  ;; circle pixel 9: (-1, +3)
        local.get $i  local.get $row5  i32.add  v128.load offset=1 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s10  ;; circle pixel 10: (-2, +2)
        local.get $i  local.get $row4  i32.add  v128.load offset=0 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s11  ;; circle pixel 11: (-3, +1)
        local.get $i  local.get $row2  i32.add  v128.load offset=0 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s13  ;; circle pixel 13: (-3, -1)
        local.get $i  local.get $row1  i32.add  v128.load offset=1 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s14  ;; circle pixel 14: (-2, -2)
        local.get $i  local.get $row0  i32.add  v128.load offset=2 align=1  local.set $v
        local.get $v  local.get $hi  i8x16.gt_u  local.get $v  local.get $lo  i8x16.lt_u
        local.get $top  v128.bitselect  local.set $s15  ;; circle pixel 15: (-1, -3)
        local.get $s0  local.get $s1  v128.and  local.set $r0
        local.get $s1  local.get $s2  v128.and  local.set $r1
        local.get $s2  local.get $s3  v128.and  local.set $r2
        local.get $s3  local.get $s4  v128.and  local.set $r3
        local.get $s4  local.get $s5  v128.and  local.set $r4
        local.get $s5  local.get $s6  v128.and  local.set $r5
        local.get $s6  local.get $s7  v128.and  local.set $r6
        local.get $s7  local.get $s8  v128.and  local.set $r7
        local.get $s8  local.get $s9  v128.and  local.set $r8
        local.get $s9  local.get $s10  v128.and  local.set $r9
        local.get $s10  local.get $s11  v128.and  local.set $r10
        local.get $s11  local.get $s12  v128.and  local.set $r11
        local.get $s12  local.get $s13  v128.and  local.set $r12
        local.get $s13  local.get $s14  v128.and  local.set $r13
        local.get $s14  local.get $s15  v128.and  local.set $r14
        local.get $s15  local.get $s0  v128.and  local.set $r15
        local.get $r0  local.get $r2  v128.and  local.set $q0
        local.get $r1  local.get $r3  v128.and  local.set $q1
        local.get $r2  local.get $r4  v128.and  local.set $q2
        local.get $r3  local.get $r5  v128.and  local.set $q3
        local.get $r4  local.get $r6  v128.and  local.set $q4
        local.get $r5  local.get $r7  v128.and  local.set $q5
        local.get $r6  local.get $r8  v128.and  local.set $q6
        local.get $r7  local.get $r9  v128.and  local.set $q7
        local.get $r8  local.get $r10  v128.and  local.set $q8
        local.get $r9  local.get $r11  v128.and  local.set $q9
        local.get $r10  local.get $r12  v128.and  local.set $q10
        local.get $r11  local.get $r13  v128.and  local.set $q11
        local.get $r12  local.get $r14  v128.and  local.set $q12
        local.get $r13  local.get $r15  v128.and  local.set $q13
        local.get $r14  local.get $r0  v128.and  local.set $q14
        local.get $r15  local.get $r1  v128.and  local.set $q15
        local.get $q0  local.get $q4  v128.and  local.get $s8  v128.and
        local.get $q1  local.get $q5  v128.and  local.get $s9  v128.and  v128.or
        local.get $q2  local.get $q6  v128.and  local.get $s10  v128.and  v128.or
        local.get $q3  local.get $q7  v128.and  local.get $s11  v128.and  v128.or
        local.get $q4  local.get $q8  v128.and  local.get $s12  v128.and  v128.or
        local.get $q5  local.get $q9  v128.and  local.get $s13  v128.and  v128.or
        local.get $q6  local.get $q10  v128.and  local.get $s14  v128.and  v128.or
        local.get $q7  local.get $q11  v128.and  local.get $s15  v128.and  v128.or
        local.get $q8  local.get $q12  v128.and  local.get $s0  v128.and  v128.or
        local.get $q9  local.get $q13  v128.and  local.get $s1  v128.and  v128.or
        local.get $q10  local.get $q14  v128.and  local.get $s2  v128.and  v128.or
        local.get $q11  local.get $q15  v128.and  local.get $s3  v128.and  v128.or
        local.get $q12  local.get $q0  v128.and  local.get $s4  v128.and  v128.or
        local.get $q13  local.get $q1  v128.and  local.get $s5  v128.and  v128.or
        local.get $q14  local.get $q2  v128.and  local.get $s6  v128.and  v128.or
        local.get $q15  local.get $q3  v128.and  local.get $s7  v128.and  v128.or
        local.get $keep  v128.and  local.tee $v
        v128.any_true
        if
          ;; The scores of the corners: how far their circle pixels go beyond
          ;; c+t (of a bright corner) or c−t (of a dark one), summed in 16-bit
          ;; lanes, the pixels 0–7 of the 16 in one vector, 8–15 in the other.
          v128.const i64x2 0 0  local.tee $ul  local.tee $uh  local.tee $dl  local.set $dh
          local.get $i  local.get $row0  i32.add  v128.load offset=3 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row0  i32.add  v128.load offset=4 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row1  i32.add  v128.load offset=5 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row2  i32.add  v128.load offset=6 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row3  i32.add  v128.load offset=6 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row4  i32.add  v128.load offset=6 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row5  i32.add  v128.load offset=5 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row6  i32.add  v128.load offset=4 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row6  i32.add  v128.load offset=3 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row6  i32.add  v128.load offset=2 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row5  i32.add  v128.load offset=1 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row4  i32.add  v128.load offset=0 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row3  i32.add  v128.load offset=0 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row2  i32.add  v128.load offset=0 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row1  i32.add  v128.load offset=1 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          local.get $i  local.get $row0  i32.add  v128.load offset=2 align=1  local.tee $x
          local.get $hi  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $ul  i16x8.add  local.set $ul
          local.get $e  i16x8.extend_high_i8x16_u  local.get $uh  i16x8.add  local.set $uh
          local.get $lo  local.get $x  i8x16.sub_sat_u  local.tee $e  i16x8.extend_low_i8x16_u  local.get $dl  i16x8.add  local.set $dl
          local.get $e  i16x8.extend_high_i8x16_u  local.get $dh  i16x8.add  local.set $dh
          ;; each corner's score, of its side, into the plane; the others kept
          local.get $v  local.get $top  v128.and  local.get $top  i8x16.eq  local.set $bm
          local.get $v  local.get $dark  v128.and  local.get $dark  i8x16.eq  local.set $dm
          local.get $sc
          local.get $ul  local.get $bm  i16x8.extend_low_i8x16_s  v128.and
          local.get $dl  local.get $dm  i16x8.extend_low_i8x16_s  v128.and  v128.or
          local.get $sc  v128.load offset=0 align=1
          local.get $bm  local.get $dm  v128.or  i16x8.extend_low_i8x16_s
          v128.bitselect  v128.store offset=0 align=1
          local.get $sc
          local.get $uh  local.get $bm  i16x8.extend_high_i8x16_s  v128.and
          local.get $dh  local.get $dm  i16x8.extend_high_i8x16_s  v128.and  v128.or
          local.get $sc  v128.load offset=16 align=1
          local.get $bm  local.get $dm  v128.or  i16x8.extend_high_i8x16_s
          v128.bitselect  v128.store offset=16 align=1
        end
        local.get $v
      else
        v128.const i64x2 0 0
      end
      local.set $v
      local.get $blocks  local.get $v  v128.store align=1
      local.get $blocks  i32.const 16  i32.add  local.set $blocks
      local.get $sc  i32.const 32  i32.add  local.set $sc
      local.get $i  i32.const 16  i32.add  local.set $i
      local.get $chunks  i32.const 1  i32.sub  local.tee $chunks
      br_if $chunk
    end
  )

  ;; box5(p, w, h, cols, out): the 5×5 box sums of the plane of w×h pixels
  ;; at p (w and h at least 5), as package feature's level.smoothed makes
  ;; them: the 16-bit sum at out + 2(y·w + x) of the pixels within 2 rows
  ;; and 2 columns of (x, y), for each pixel at least 2 from the border;
  ;; the others left as they are. cols is room for w 16-bit column sums.
  ;; Row by row, 8 columns at a time (the rest of a row one at a time):
  ;; the sums of 5 pixels down each column are kept running (the new
  ;; row's pixel added, that of 5 rows up taken away), and each output is
  ;; the sum of 5 neighbouring column sums. Every sum fits 16 bits (5·5·255).
  (func (export "box5") (param $p i32) (param $w i32) (param $h i32) (param $cols i32) (param $out i32)
    (local $y i32) (local $x i32) (local $row i32) (local $up i32) (local $c i32) (local $o i32)
    (local $end8 i32) (local $last i32)
    ;; the columns' sums start at 0
    i32.const 0  local.set $x
    block $zeroed
      loop $zero
        local.get $x  local.get $w  i32.ge_u  br_if $zeroed
        local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 0  i32.store16
        local.get $x  i32.const 1  i32.add  local.set $x
        br $zero
      end
    end
    ;; the columns a vector of 8 may start at, and the outputs a row has
    local.get $w  i32.const -8  i32.and  local.set $end8
    local.get $w  i32.const 2  i32.sub  local.set $last
    i32.const 0  local.set $y
    loop $rows
      local.get $p  local.get $y  local.get $w  i32.mul  i32.add  local.set $row
      local.get $row  local.get $w  i32.const 5  i32.mul  i32.sub  local.set $up
      ;; the column sums: the row added, the row 5 up taken away from row 5 on
      i32.const 0  local.set $x
      block $vdone
        loop $v
          local.get $x  local.get $end8  i32.ge_u  br_if $vdone
          local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  local.tee $c
          local.get $c  v128.load align=1
          local.get $row  local.get $x  i32.add  v128.load8x8_u align=1  i16x8.add
          local.get $y  i32.const 5  i32.ge_u
          if (param v128) (result v128)
            local.get $up  local.get $x  i32.add  v128.load8x8_u align=1  i16x8.sub
          end
          v128.store align=1
          local.get $x  i32.const 8  i32.add  local.set $x
          br $v
        end
      end
      block $sdone
        loop $s
          local.get $x  local.get $w  i32.ge_u  br_if $sdone
          local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  local.tee $c
          local.get $c  i32.load16_u
          local.get $row  local.get $x  i32.add  i32.load8_u  i32.add
          local.get $y  i32.const 5  i32.ge_u
          if (param i32) (result i32)
            local.get $up  local.get $x  i32.add  i32.load8_u  i32.sub
          end
          i32.store16
          local.get $x  i32.const 1  i32.add  local.set $x
          br $s
        end
      end
      ;; from row 4 on, row y−2's sums: columns 2 to w−3
      local.get $y  i32.const 4  i32.ge_u
      if
        local.get $out  local.get $y  i32.const 2  i32.sub  local.get $w  i32.mul  i32.const 1  i32.shl  i32.add  local.set $o
        i32.const 2  local.set $x
        block $hdone
          loop $hv
            local.get $x  i32.const 8  i32.add  local.get $last  i32.gt_u  br_if $hdone
            local.get $o  local.get $x  i32.const 1  i32.shl  i32.add
            local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 4  i32.sub  local.tee $c
            v128.load offset=0 align=1  ;; columns x−2 on
            local.get $c  v128.load offset=2 align=1  i16x8.add
            local.get $c  v128.load offset=4 align=1  i16x8.add
            local.get $c  v128.load offset=6 align=1  i16x8.add
            local.get $c  v128.load offset=8 align=1  i16x8.add
            v128.store align=1
            local.get $x  i32.const 8  i32.add  local.set $x
            br $hv
          end
        end
        block $hsdone
          loop $hs
            local.get $x  local.get $last  i32.ge_u  br_if $hsdone
            local.get $o  local.get $x  i32.const 1  i32.shl  i32.add
            local.get $cols  local.get $x  i32.const 1  i32.shl  i32.add  i32.const 4  i32.sub  local.tee $c
            i32.load16_u offset=0
            local.get $c  i32.load16_u offset=2  i32.add
            local.get $c  i32.load16_u offset=4  i32.add
            local.get $c  i32.load16_u offset=6  i32.add
            local.get $c  i32.load16_u offset=8  i32.add
            i32.store16
            local.get $x  i32.const 1  i32.add  local.set $x
            br $hs
          end
        end
      end
      local.get $y  i32.const 1  i32.add  local.tee $y
      local.get $h  i32.lt_u
      br_if $rows
    end
  )
)
