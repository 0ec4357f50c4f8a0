;; nearest.wat: the nearest-descriptor kernel of package simd, one part of
;; the kernels' module (make simd splices the parts into it; doc.go).

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
