;; fast.wat: the FAST-9 kernel of package simd, one part of the kernels'
;; module (make simd splices the parts into it; doc.go).

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
