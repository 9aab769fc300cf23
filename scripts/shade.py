#!/usr/bin/env python3
"""Flat-shaded pictures of meshes for looking at 3D results: shade.py OUT.png A.obj [B.obj ...]

Each mesh is a row, seen (orthographic, world [-1, 1] across, nearest surface shaded by its normal)
from −Z, turned 90° about Y, from the top and from three-quarters above. Needs numpy and Pillow.
docs/hull-start.png and docs/single-view-spot.png were made with it."""
import sys, numpy as np
from PIL import Image
def load(p):
    V=[];F=[]
    for l in open(p):
        s=l.split()
        if not s: continue
        if s[0]=='v': V.append([float(x) for x in s[1:4]])
        elif s[0]=='f': F.append([int(x.split('/')[0])-1 for x in s[1:4]])
    return np.array(V),np.array(F)
def rot(el,az):
    el,az=np.radians(el),np.radians(az)
    # camera looks at the origin from azimuth az (about y), elevation el
    Ry=np.array([[np.cos(az),0,-np.sin(az)],[0,1,0],[np.sin(az),0,np.cos(az)]])
    Rx=np.array([[1,0,0],[0,np.cos(el),-np.sin(el)],[0,np.sin(el),np.cos(el)]])
    return Rx@Ry
def render(V,F,el,az,S=200):
    P=V@rot(el,az).T
    img=np.full((S,S),40.0); zb=np.full((S,S),np.inf)
    xy=(P[:,:2]*np.array([1,-1])/1.0+1)*S/2  # world [-1,1] -> pixels
    for f in F:
        a,b,c=P[f]; n=np.cross(b-a,c-a); ln=np.linalg.norm(n)
        if ln==0: continue
        n/=ln
        shade=60+195*abs(n[2])
        p=xy[f]; x0,y0=np.floor(p.min(0)).astype(int); x1,y1=np.ceil(p.max(0)).astype(int)
        x0,y0=max(x0,0),max(y0,0); x1,y1=min(x1,S-1),min(y1,S-1)
        if x1<x0 or y1<y0: continue
        X,Y=np.meshgrid(np.arange(x0,x1+1)+0.5,np.arange(y0,y1+1)+0.5)
        (ax,ay),(bx,by),(cx,cy)=p
        d=(by-cy)*(ax-cx)+(cx-bx)*(ay-cy)
        if abs(d)<1e-12: continue
        w0=((by-cy)*(X-cx)+(cx-bx)*(Y-cy))/d; w1=((cy-ay)*(X-cx)+(ax-cx)*(Y-cy))/d; w2=1-w0-w1
        m=(w0>=0)&(w1>=0)&(w2>=0)
        z=w0*a[2]+w1*b[2]+w2*c[2]
        sub=zb[y0:y1+1,x0:x1+1]; im=img[y0:y1+1,x0:x1+1]
        upd=m&(z<sub)
        sub[upd]=z[upd]; im[upd]=shade
    return img
views=[(0,0),(0,90),(89.9,0),(25,45)]
rows=[]
for p in sys.argv[2:]:
    V,F=load(p)
    rows.append(np.hstack([np.pad(render(V,F,e,a),2,constant_values=255) for e,a in views]))
Image.fromarray(np.vstack(rows).astype(np.uint8)).save(sys.argv[1])
